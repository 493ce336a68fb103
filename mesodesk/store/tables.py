"""The tables as SQLAlchemy Core objects: the one way services and store get them.

``table(Model)`` is a model's Table; the constants below are each table's columns, named for
what they hold (``PATIENT.next_due``, ``SIDE_EFFECT.grade``), for the queries that read many
rows at once without building ORM objects.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table

from mesodesk.store import models as m


def table(model: Any) -> Table:
    """A sqlmodel table model's Core Table (sqlmodel leaves ``__table__`` untyped)."""
    return cast(Table, model.__table__)


PATIENT = table(m.Patient).c
PATIENT_TOKEN = table(m.PatientToken)
PATIENT_PREFIX = table(m.PatientPrefix)
COURSE = table(m.Course).c
SESSION = table(m.TreatmentSession).c
BLEND_ITEM = table(m.BlendItem).c
LOT = table(m.ProductLot).c
PRODUCT = table(m.Product).c
INGREDIENT = table(m.Ingredient).c
PRACTITIONER = table(m.Practitioner).c
SIDE_EFFECT = table(m.SideEffect).c
EFFECT_LOT = table(m.SideEffectLot).c
OUTCOME = table(m.OutcomeAssessment).c
