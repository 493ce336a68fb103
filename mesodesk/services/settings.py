"""Clinic-wide settings stored in the database."""

from __future__ import annotations

from sqlmodel import select

from mesodesk.domain.settings import ClinicSettings
from mesodesk.services.changes import Changes, Result
from mesodesk.store.db import Database
from mesodesk.store.models import AppSetting


class SettingsService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: ClinicSettings | None = None

    def get(self) -> ClinicSettings:
        if self._cache is None:
            with self.db.read() as s:
                pairs = {row.key: row.value for row in s.exec(select(AppSetting))}
            self._cache = ClinicSettings.from_pairs(pairs)
        return self._cache

    def invalidate(self) -> None:
        """Read the settings again next time (the data were restored from a backup)."""
        self._cache = None

    def update(self, settings: ClinicSettings) -> Result[ClinicSettings]:
        clean = settings.validated()
        with self.db.write() as s:
            for key, value in clean.to_pairs().items():
                row = s.get(AppSetting, key)
                if row is None:
                    s.add(AppSetting(key=key, value=value))
                else:
                    row.value = value
        self._cache = clean
        return Result(clean, Changes(settings=True))
