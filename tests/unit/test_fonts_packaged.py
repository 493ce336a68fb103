"""The fonts travel with the package: a plain `pip install .` (a wheel) carries them, and
mesodesk finds them where it runs from (the editable install of the tests, here)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from mesodesk.paths import resource_path
from mesodesk.reports import fonts
from mesodesk.reports.text import SAMPLES, self_check

ROOT = Path(__file__).resolve().parents[2]


def font_files() -> set[str]:
    return {
        name
        for family in fonts.FAMILIES
        for name in (family.regular, family.bold)
        if name and not name.startswith("mpl:")
    }


def test_every_font_is_found_and_prints_its_script() -> None:
    for name in font_files():
        assert resource_path("fonts", name).is_file(), name
    assert self_check() > sum(len(s.replace(" ", "")) for s in SAMPLES.values())


def test_a_wheel_carries_the_fonts(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",  # pyproject's build requirements, in pip's isolated build environment
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("mesodesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in font_files():
        assert f"mesodesk/resources/fonts/{name}" in names, name
