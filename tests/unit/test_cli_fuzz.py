"""Every command of the command line fed random arguments and hostile file paths: a person gets
a message and exit status 1 or 2, never "internal error" and never a traceback (issue 12, item
7). Each example runs on its own copy of a small demo clinic.

MESODESK_FUZZ_EXAMPLES sets how many examples to try (60 in CI; try 2000 by hand).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesodesk.cli import main
from mesodesk.domain.clock import FixedClock
from tests.conftest import NOW

EXAMPLES = int(os.environ.get("MESODESK_FUZZ_EXAMPLES", "60"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from mesodesk.services.demo import generate_demo
    from mesodesk.services.registry import Services

    folder = tmp_path_factory.mktemp("fuzz-template")
    db = folder / "clinic.sqlite3"
    services = Services.open(db, clock=FixedClock(NOW))
    generate_demo(services._db, 6, 1, today=NOW.date())
    services.backups.back_up(folder / "backup.sqlite3")
    services.summaries.write(1, folder / "summary.pdf", services.summaries.options(charts=False))
    services.close()
    yield folder


# -- what a person might type ---------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
# bytes a shell passes through that are not UTF-8 arrive as lone surrogates (surrogateescape)
ODD = st.sampled_from(["\udcff\udcfe", "caf\udce9", "\u202eevil", "a\nb", "--", "-", "'", '"'])
WORD = st.one_of(TEXT, ODD)
DATE = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "yesterday", "", "2026-13-01"]),
)
NUMBER = st.one_of(
    st.integers(-(10**22), 10**22).map(str),
    st.sampled_from(["0", "1", "-1", "1e9", "0x10", "", "٣", "9" * 40]),
)
RECORD = st.one_of(
    st.sampled_from(["MD-000001", "MD-000006", "MD-999999", "1", "0", "MD-" + "9" * 30, ""]),
    WORD,
)
SUFFIX = st.sampled_from([".pdf", ".png", ".svg", ".csv", ".sqlite3", ".key", "", ".PDF"])


@st.composite
def paths(draw: Any, kind: str = "out") -> str:
    """Hostile and ordinary places: existing folders, devices, links, missing folders, names
    too long, the database itself, files that are not what they should be."""
    base = draw(
        st.sampled_from(
            [
                "{dir}/new",
                "{dir}",
                "{dir}/missing/x",
                "/dev/null",
                "/dev/full",
                "/proc/self/status",
                "{dir}/link-to-dir",
                "{dir}/link-to-file",
                "{dir}/dangling",
                "{dir}/clinic.sqlite3",
                "{dir}/backup.sqlite3",
                "{dir}/summary.pdf",
                "{dir}/notes.txt",
                "{dir}/" + "n" * 300,
                "",
                ".",
                "{dir}/with space/é",
            ]
        )
    )
    return base + draw(SUFFIX) if "{dir}/new" in base or "n" * 300 in base else base


DB = st.sampled_from(
    [
        "{dir}/clinic.sqlite3",
        "{dir}/clinic.sqlite3",
        "{dir}/clinic.sqlite3",
        "{dir}/missing.sqlite3",
        "{dir}/no/such/folder/x.sqlite3",
        "{dir}",
        "{dir}/notes.txt",
        "/dev/null",
        "postgresql://user:secret@localhost/clinic",
        "mysql://localhost/x",
        "sqlite://",
        "sqlite:///{dir}/clinic.sqlite3",
        "sqlite:////no/such/folder/x.db",
        "foo://bar",
        "::",
    ]
)


def _options(draw: Any, *choices: tuple[str, Any]) -> list[str]:
    out: list[str] = []
    for flag, strategy in choices:
        if draw(st.booleans()):
            out.append(flag)
            if strategy is not None:
                out.append(draw(strategy))
    return out


@st.composite
def commands(draw: Any) -> list[str]:
    name = draw(
        st.sampled_from(
            [
                "patients",
                "show",
                "due",
                "recall",
                "chart",
                "report",
                "backup",
                "restore",
                "check",
                "audit verify",
                "audit list",
                "key show",
                "key export",
                "key import",
                "demo",
                "audit",
                "key",
                "signals",
                "printers",
            ]
        )
    )
    args = name.split()
    anchors = (
        ("--folder", paths()),
        ("--anchor", WORD),
        ("--pdf", paths()),
    )
    if name == "patients":
        args += _options(
            draw,
            ("--search", WORD),
            ("--archived", None),
            ("--archived-only", None),
            ("--limit", NUMBER),
            ("--json", None),
        )
    elif name == "show":
        args += [draw(RECORD), *_options(draw, ("--json", None))]
    elif name == "due":
        args += _options(draw, ("--date", DATE), ("--lapsed", None), ("--json", None))
    elif name == "recall":
        args += [
            draw(WORD),
            *_options(draw, ("--product", WORD), ("--json", None), ("--csv", None)),
        ]
    elif name == "chart":
        args += _options(draw, ("--clinic", None), ("--from", DATE), ("--to", DATE))
        if draw(st.booleans()):
            args.append(draw(RECORD))
        args += ["--out", draw(paths())]
    elif name == "report":
        args += [draw(RECORD), "--out", draw(paths())]
        args += _options(
            draw,
            ("--from", DATE),
            ("--to", DATE),
            ("--deidentify", None),
            ("--pseudonymise", None),
            ("--include", st.one_of(WORD, st.sampled_from(["notes", "medical_notes"]))),
            ("--paper", st.sampled_from(["a4", "letter", "A5"])),
            ("--no-charts", None),
            # never --print: a fuzz run must not send pages to this computer's printer; a
            # printer or copies without it are refused in words
            ("--printer", WORD),
            ("--copies", NUMBER),
        )
    elif name == "backup":
        args += _options(draw, ("--out", paths()), ("--folder", paths()))
    elif name == "restore":
        args += [draw(paths())]
        args += _options(
            draw, ("--yes", None), ("--clinic", WORD), ("--folder", paths()), ("--create", None)
        )
    elif name == "check":
        args += _options(draw, ("--quick", None), ("--all-warnings", None), *anchors)
    elif name == "audit verify":
        args += _options(draw, ("--quick", None), *anchors)
    elif name == "signals":
        args += _options(draw, ("--from", DATE), ("--to", DATE), ("--json", None))
    elif name == "printers":
        args += _options(draw, ("--json", None))
    elif name == "audit list":
        args += _options(
            draw,
            ("--patient", RECORD),
            ("--user", WORD),
            ("--since", DATE),
            ("--until", DATE),
            ("--limit", NUMBER),
            ("--json", None),
            ("--csv", paths()),
        )
    elif name == "key export":
        args += ["--out", draw(paths())]
    elif name == "key import":
        args += [draw(paths())]
    elif name == "demo":
        small = st.one_of(st.integers(-2, 4).map(str), st.sampled_from(["x", "1000001", ""]))
        args += _options(
            draw, ("--patients", small), ("--seed", NUMBER), ("--as-of", DATE), ("--create", None)
        )
    if draw(st.integers(0, 9)) == 0:
        args.append(draw(WORD))  # a stray word
    return args


@contextlib.contextmanager
def _playground(template: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        for name in ("clinic.sqlite3", "backup.sqlite3", "summary.pdf"):
            shutil.copy2(template / name, folder / name)
        (folder / "notes.txt").write_text("not a database\n" * 20)
        (folder / "link-to-dir").symlink_to(folder)
        (folder / "link-to-file").symlink_to(folder / "notes.txt")
        (folder / "dangling").symlink_to(folder / "nowhere")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=commands(), db=DB, create=st.booleans(), before=st.booleans())
def test_every_command_gives_a_message_never_a_traceback(
    template: Path, command: list[str], db: str, create: bool, before: bool
) -> None:
    with _playground(template) as folder:
        argv = [a.replace("{dir}", str(folder)) for a in command]
        where = ["--db", db.replace("{dir}", str(folder))] + (["--create"] if create else [])
        argv = where + argv if before else argv + where
        trace = os.environ.get("MESODESK_FUZZ_TRACE")
        if trace:  # the last command tried, when a run dies without a word
            Path(trace).write_text(repr(argv))
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()
        os.chdir(folder)  # relative names ("::", ".") land in the playground
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.chdir(here)
        text = err.getvalue()
        assert "internal error" not in text, (argv, text)
        assert "Traceback" not in text, (argv, text)
        assert code in (0, 1, 2), (argv, code, text)
        assert not (folder / "secret").exists()
        # nothing half-written is left behind
        leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".mesodesk-")]
        assert not leftovers, (argv, leftovers)
