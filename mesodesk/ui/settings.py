"""This workstation's settings, each declared once with its key, type and default
(Picard's options). They live in an INI file under the config folder (paths.settings_file),
so that MESODESK_HOME gives tests and portable installs their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from PySide6.QtCore import QByteArray, QSettings

from mesodesk.paths import settings_file

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    type: type
    default: T


WINDOW_GEOMETRY = Setting("window/geometry", QByteArray, QByteArray())
WINDOW_STATE = Setting("window/state", QByteArray, QByteArray())
PATIENT_HEADER = Setting("patients/header", QByteArray, QByteArray())
SHOW_ARCHIVED = Setting("patients/show_archived", bool, False)
DEMO_OFFERED = Setting("start/demo_offered", bool, False)
BACKUP_FOLDER = Setting("backup/folder", str, "")  # empty: paths.default_backup_dir()
WORKING_AS = Setting("audit/working_as", str, "")  # who the audit trail names; empty: the login
WORKING_AS_PRACTITIONER = Setting("audit/practitioner_id", int, 0)  # 0: a name typed in
# the folder a file was last saved to or opened from: file dialogs start there (ui/files.py)
LAST_FOLDER = Setting("files/last_folder", str, "")
# the patient records open when the window closed, opened again at the next start: JSON, with
# the database they belong to (another database's ids are other patients), the patient ids in
# tab order and the one in front (0: another tab, such as the patient list)
OPEN_RECORDS = Setting("tabs/open_records", str, "")


class Settings:
    def __init__(self, store: QSettings | None = None) -> None:
        if store is None:
            path = settings_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            store = QSettings(str(path), QSettings.Format.IniFormat)
        self.store = store

    def get(self, setting: Setting[T]) -> T:
        value: Any = self.store.value(setting.key, setting.default)
        if value is None:
            return setting.default
        if setting.type is bool and isinstance(value, str):
            return cast(T, value.lower() in ("true", "1", "yes"))
        if not isinstance(value, setting.type):
            try:
                return cast(T, setting.type(value))
            except (TypeError, ValueError):
                return setting.default
        return cast(T, value)

    def set(self, setting: Setting[T], value: T) -> None:
        self.store.setValue(setting.key, value)

    def sync(self) -> None:
        self.store.sync()
