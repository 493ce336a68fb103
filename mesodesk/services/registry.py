"""All services over one open database: what the GUI and the command line are given."""

from __future__ import annotations

import os
from dataclasses import dataclass

from mesodesk.domain.clock import Clock
from mesodesk.services.analytics import AnalyticsService
from mesodesk.services.audit import AuditService
from mesodesk.services.backup import BackupService
from mesodesk.services.catalogue import CatalogueService
from mesodesk.services.courses import CourseService
from mesodesk.services.database import DatabaseService
from mesodesk.services.demo import DemoService
from mesodesk.services.outcomes import OutcomeService
from mesodesk.services.patients import PatientService
from mesodesk.services.recall import RecallService
from mesodesk.services.sessions import SessionService
from mesodesk.services.settings import SettingsService
from mesodesk.services.side_effects import SideEffectService
from mesodesk.services.signals import SignalService
from mesodesk.services.summary import SummaryService
from mesodesk.services.treatment import TreatmentService
from mesodesk.store.db import Database, Target, resolve_target
from mesodesk.store.migrate import open_database


@dataclass
class Services:
    """The services over one database. The database object itself (``_db``) is private to
    the services package: the ui and the command line ask ``database`` instead."""

    _db: Database
    clock: Clock
    database: DatabaseService
    demo: DemoService
    settings: SettingsService
    patients: PatientService
    catalogue: CatalogueService
    treatment: TreatmentService  # a patient's whole record
    courses: CourseService  # courses, their schedule, the due list
    sessions: SessionService
    side_effects: SideEffectService
    outcomes: OutcomeService
    recall: RecallService
    audit: AuditService
    backups: BackupService
    summaries: SummaryService
    analytics: AnalyticsService
    signals: SignalService

    @classmethod
    def for_database(cls, db: Database) -> Services:
        clock = db.clock  # the audit trail's time, and every service's
        settings = SettingsService(db)
        audit = AuditService(db, clock)
        patients = PatientService(db, settings, clock)
        catalogue = CatalogueService(db, clock)
        treatment = TreatmentService(db, patients, catalogue, clock)
        parts = (db, patients, catalogue, clock)
        analytics = AnalyticsService(db, clock)
        return cls(
            _db=db,
            clock=clock,
            database=DatabaseService(db),
            demo=DemoService(db),
            settings=settings,
            patients=patients,
            catalogue=catalogue,
            treatment=treatment,
            courses=CourseService(*parts),
            sessions=SessionService(*parts),
            side_effects=SideEffectService(*parts),
            outcomes=OutcomeService(*parts),
            recall=RecallService(*parts),
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
        db = open_database(target, read_only=read_only, create=create, clock=clock)
        return cls.for_database(db)

    @property
    def location(self) -> str:
        return self._db.target.describe()

    def close(self) -> None:
        self._db.close()
