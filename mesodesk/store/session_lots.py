"""The lots a session used: one rule, read by everything that follows a lot.

A session used each lot of its blend (``blend_item``, with the amount injected) and the lot of
its numbing cream or spray (``treatment_session.numbing_lot_id``, migration 0007: put on the
skin, no amount). A contaminated numbing cream lot must be traced exactly as a blend lot is, so
lot recall, the lots a side effect may suspect, the catalogue's count of a lot's uses, the lot
signals and the dashboard's lot rates all read the lots through this rule: as a SQLAlchemy
select (``session_lots``), as SQL text for readers that go through the driver
(``session_lots_sql``, the signals), and in the view ``stats_blend_rows`` of migration 0008 that
the dashboard's running totals follow (a migration keeps its own copy); a test holds the three
together. The domain's side of it is
``mesodesk.domain.treatment.Session.used_lots``.
"""

# ruff: noqa: S608 - session_lots_sql puts SQL together from its callers' constant pieces only

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CompoundSelect, Table, false, null, select, true, union_all

from mesodesk.store import models as m

BLEND = cast(Table, m.BlendItem.__table__)  # type: ignore[attr-defined]
SESSION = cast(Table, m.TreatmentSession.__table__)  # type: ignore[attr-defined]


def session_lots(lot_ids: Any = None) -> CompoundSelect[Any]:
    """Rows ``(session_id, lot_id, amount_ml, numbing)``: one per lot of a session's blend
    (``numbing`` false, with its amount) and one for its numbing product's lot (``numbing``
    true, ``amount_ml`` NULL). ``lot_ids`` (a list of ids or a select of them) keeps only those
    lots, filtered in each part so that each reads its own index."""
    b, s = BLEND.c, SESSION.c
    blend = select(
        b.session_id.label("session_id"),
        b.lot_id.label("lot_id"),
        b.amount_ml.label("amount_ml"),
        false().label("numbing"),
    )
    numbing = select(
        s.id.label("session_id"),
        s.numbing_lot_id.label("lot_id"),
        null().label("amount_ml"),
        true().label("numbing"),
    ).where(s.numbing_lot_id.is_not(None))
    if lot_ids is not None:
        blend = blend.where(b.lot_id.in_(lot_ids))
        numbing = numbing.where(s.numbing_lot_id.in_(lot_ids))
    return union_all(blend, numbing)


def session_lots_sql(columns: str, where: str = "1", index: str = "") -> str:
    """The same rule as SQL text, for readers that go through the driver: ``columns`` for each
    lot a session ``s`` used, where ``where`` (a condition on ``s``; its parameters appear
    twice, once per part). In ``columns``, ``{lot}`` stands for the lot's id. ``index`` is an
    ``INDEXED BY`` clause for ``s`` in both parts.

    Two parts joined by UNION ALL rather than a join to a union: SQLite would copy a million
    blend lines into a temporary table to join them."""
    blend = (
        f"SELECT {columns.format(lot='b.lot_id')} FROM treatment_session s {index} "
        f"JOIN blend_item b ON b.session_id = s.id WHERE {where}"
    )
    numbing = (
        f"SELECT {columns.format(lot='s.numbing_lot_id')} FROM treatment_session s {index} "
        f"WHERE s.numbing_lot_id IS NOT NULL AND ({where})"
    )
    return f"{blend} UNION ALL {numbing}"
