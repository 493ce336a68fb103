"""All services over one open database: what the GUI and the command line are given."""

from __future__ import annotations

import os
from dataclasses import dataclass

from mesodesk.domain.clock import Clock
from mesodesk.services.analytics import AnalyticsService
from mesodesk.services.audit import AuditService
from mesodesk.services.backup import BackupService
from mesodesk.services.catalogue import CatalogueService
from mesodesk.services.patients import PatientService
from mesodesk.services.settings import SettingsService
from mesodesk.services.signals import SignalService
from mesodesk.services.summary import SummaryService
from mesodesk.services.treatment import TreatmentService
from mesodesk.store.db import Database, Target, resolve_target
from mesodesk.store.migrate import open_database


@dataclass
class Services:
    db: Database
    clock: Clock
    settings: SettingsService
    patients: PatientService
    catalogue: CatalogueService
    treatment: TreatmentService
    audit: AuditService
    backups: BackupService
    summaries: SummaryService
    analytics: AnalyticsService
    signals: SignalService

    @classmethod
    def for_database(cls, db: Database, clock: Clock | None = None) -> Services:
        clock = clock or Clock()
        db.clock = clock  # the audit trail's time
        settings = SettingsService(db)
        audit = AuditService(db, clock)
        patients = PatientService(db, settings, clock)
        catalogue = CatalogueService(db, clock)
        treatment = TreatmentService(db, patients, catalogue, clock)
        analytics = AnalyticsService(db, clock)
        return cls(
            db=db,
            clock=clock,
            settings=settings,
            patients=patients,
            catalogue=catalogue,
            treatment=treatment,
            audit=audit,
            backups=BackupService(db, audit, settings, clock),
            summaries=SummaryService(treatment, settings, audit, clock),
            analytics=analytics,
            signals=SignalService(db, analytics, clock),
        )

    @classmethod
    def open(
        cls,
        where: str | os.PathLike[str] | Target | None = None,
        *,
        clock: Clock | None = None,
        read_only: bool = False,
        create: bool = True,
    ) -> Services:
        target = where if isinstance(where, Target) else resolve_target(where)
        now = clock.utcnow() if clock is not None else None
        db = open_database(target, read_only=read_only, create=create, now=now)
        return cls.for_database(db, clock)

    @property
    def location(self) -> str:
        return self.db.target.describe()

    def close(self) -> None:
        self.db.close()
