"""Every file location mesodesk uses, in one place.

``MESODESK_HOME`` moves all of them under one folder (tests, portable installs);
otherwise they follow the platform's conventions through platformdirs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import PlatformDirs

from mesodesk import APP_NAME

HOME_ENV = "MESODESK_HOME"
DB_ENV = "MESODESK_DB"
DB_FILENAME = "mesodesk.sqlite3"


def _dirs() -> PlatformDirs:
    return PlatformDirs(APP_NAME, appauthor=False)


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(_dirs().user_data_dir)


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(_dirs().user_config_dir)


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(_dirs().user_cache_dir)


def default_database() -> Path:
    return data_dir() / DB_FILENAME


def default_backup_dir() -> Path:
    return data_dir() / "backups"


def settings_file() -> Path:
    return config_dir() / "mesodesk.ini"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def resource_path(*parts: str) -> Path:
    """A file under mesodesk/resources/ (package data: fonts, icons, translations), wherever
    mesodesk runs from: a source checkout, an editable or a plain ``pip install``, or a
    PyInstaller bundle (build.spec puts the folder at the same place inside the bundle)."""
    if is_frozen():
        base = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "mesodesk"
    else:
        base = Path(__file__).resolve().parent
    return base.joinpath("resources", *parts)
