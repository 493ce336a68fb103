"""Where file dialogs start: in the folder last used to save or open a file (the declared
setting LAST_FOLDER), so that a clinic that keeps its exports in one folder is not sent back to
the home folder every time. A folder that no longer exists is passed over."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

from mesodesk.ui.settings import LAST_FOLDER, Settings


def documents() -> Path:
    """The person's documents folder (the home folder when the system names none)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def last_folder(settings: Settings | None = None) -> Path | None:
    """The folder last used, when there is one and it still exists."""
    saved = (settings or Settings()).get(LAST_FOLDER)
    if saved and Path(saved).is_dir():
        return Path(saved)
    return None


def start_in(name: str = "", fallback: Path | None = None, settings: Settings | None = None) -> str:
    """Where a file dialog starts: ``name`` in the folder last used (else in ``fallback``, else
    in the documents folder); the folder alone when there is no name."""
    folder = last_folder(settings) or fallback or documents()
    return str(folder / name) if name else str(folder)


def remember(path: str | Path, settings: Settings | None = None) -> None:
    """A file (or folder) was chosen: the next file dialog starts in its folder."""
    if not str(path):
        return
    chosen = Path(path)
    folder = chosen if chosen.is_dir() else chosen.parent
    store = settings or Settings()
    store.set(LAST_FOLDER, str(folder))
    store.sync()
