"""Every label of the domain's values reaches the translator: Qt's pyside6-lupdate, run over the
whole tree as a translator's .ts file is made, lists each one in the context the GUI translates
it in ("Values", mesodesk.ui.labels.label)."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6

import mesodesk.domain
from mesodesk.domain.enums import GRADE_DEFINITIONS

ROOT = Path(__file__).resolve().parents[2]


def extracted(tmp_path: Path) -> dict[str, set[str]]:
    """lupdate's .ts file for every source file of mesodesk: context -> source texts."""
    lupdate = Path(PySide6.__file__).parent / "lupdate"
    ts = tmp_path / "mesodesk.ts"
    sources = sorted(str(p) for p in (ROOT / "mesodesk").rglob("*.py"))
    subprocess.run([str(lupdate), *sources, "-ts", str(ts)], check=True, capture_output=True)
    contexts: dict[str, set[str]] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        texts = contexts.setdefault(context.findtext("name") or "", set())
        texts.update(m.findtext("source") or "" for m in context.iter("message"))
    return contexts


def domain_labels() -> dict[str, str]:
    """Every label of every enum of mesodesk.domain: label -> where it comes from."""
    labels: dict[str, str] = {}
    for info in pkgutil.iter_modules(mesodesk.domain.__path__):
        module = importlib.import_module(f"mesodesk.domain.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, enum.Enum)
                and value.__module__ == module.__name__
                and all(hasattr(member, "label") for member in value)
            ):
                for member in value:
                    labels[member.label] = f"{value.__name__}.{member.name}"
    return labels


def test_lupdate_finds_every_label_of_the_domain(tmp_path: Path) -> None:
    labels = domain_labels()
    assert {"Female", "Pregnancy or breast-feeding", "1 Mild", "Overdue", "Pseudonymised"} <= set(
        labels
    )
    assert len(labels) > 100
    values = extracted(tmp_path)["Values"]
    missing = {where: text for text, where in labels.items() if text not in values}
    assert missing == {}
    # the grades' CTCAE definitions, shown beside each grade
    assert set(GRADE_DEFINITIONS.values()) <= values
