"""Rules of the house that import-linter cannot see: they read the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import mesodesk

PACKAGE = Path(mesodesk.__file__).parent
STORE_ATTRIBUTES = {"db", "_db", "engine"}


def _attribute_uses(folder: Path, names: set[str]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                found.append(f"{path.relative_to(folder)}:{node.lineno} .{node.attr}")
    return found


def test_the_ui_never_touches_the_database_object() -> None:
    # The engine is private to the services: the ui asks services.database (who is working,
    # hold writes, the start-up check), services.backups.mark_clean(), services.demo.
    assert _attribute_uses(PACKAGE / "ui", STORE_ATTRIBUTES) == []


def test_the_check_finds_a_use(tmp_path: Path) -> None:
    # the check above would pass on an empty folder: it must see the thing it forbids
    (tmp_path / "view.py").write_text("def f(window):\n    return window.services.db.actor\n")
    assert _attribute_uses(tmp_path, STORE_ATTRIBUTES) == ["view.py:2 .db"]
