"""Lot recall: every patient a product lot reached, with the side effects that followed it."""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session as DbSession

from mesodesk.domain.enums import (
    AEOutcome,
    Grade,
    SideEffectKind,
)
from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.patients import format_record_no
from mesodesk.domain.text import fold
from mesodesk.domain.treatment import (
    LotInSeveralProducts,
    Recall,
    RecallEntry,
    RecallSideEffect,
)
from mesodesk.services.bulk import no_collector_pauses
from mesodesk.services.treatment import (
    TreatmentBase,
    _day,
    _id_chunks,
    _moment,
    _plain_rows,
)
from mesodesk.store import models as m
from mesodesk.store.derived import fold_lot_number
from mesodesk.store.session_lots import session_lots
from mesodesk.store.tables import EFFECT_LOT, LOT, PATIENT, PRODUCT, SESSION, SIDE_EFFECT, table


def _from_first_exposures(s: DbSession, rows: list[Any], lot_ids: list[int]) -> Any:
    """The side effects of the exposed patients from each one's first exposure on, as a FROM
    clause. ``rows`` are the exposures (session, patient, start, ...) in patient and date order.

    On SQLite the first exposures go to the database as one JSON parameter: joining the blends to
    the sessions a second time, in SQL, took as long as the whole rest of a recall over a million
    sessions. Elsewhere (PostgreSQL) that join is the portable way."""
    effects = table(m.SideEffect)
    if s.get_bind().dialect.name == "sqlite":
        firsts: dict[int, str] = {}
        for row in rows:
            if row[1] not in firsts:  # rows are in date order: the first is the first exposure
                firsts[row[1]] = row[2].date().isoformat()
        pairs = func.json_each(json.dumps(list(firsts.items()))).table_valued("value")
        patient = func.json_extract(pairs.c.value, "$[0]")
        since = func.json_extract(pairs.c.value, "$[1]")
        return pairs.join(
            effects, and_(SIDE_EFFECT.patient_id == patient, SIDE_EFFECT.onset_on >= since)
        )
    used = session_lots(lot_ids).subquery()
    first = (
        select(SESSION.patient_id.label("pid"), func.min(SESSION.started_at).label("since"))
        .select_from(used.join(table(m.TreatmentSession), SESSION.id == used.c.session_id))
        .group_by(SESSION.patient_id)
        .subquery()
    )
    return effects.join(
        first,
        and_(
            SIDE_EFFECT.patient_id == first.c.pid, SIDE_EFFECT.onset_on >= func.date(first.c.since)
        ),
    )


def suspected_lot_pairs() -> Any:
    """Which lots each side effect suspects, as (side_effect_id, lot_id) rows: the one place
    that reads it (the ``side_effect_lot`` links of migration 0004: one or several of the lots
    the suspected session used, or all of them)."""
    return select(
        EFFECT_LOT.side_effect_id.label("side_effect_id"), EFFECT_LOT.lot_id.label("lot_id")
    )


def _choose_product(number: str, names: list[str], product: str | None) -> str:
    """The product a recall is for, among those that have a lot of this number."""
    if product is None or not product.strip():
        if len(names) > 1:
            raise LotInSeveralProducts(number, names)
        return names[0]
    wanted = fold(" ".join(product.split()))
    exact = [n for n in names if fold(n) == wanted]
    starting = [n for n in names if fold(n).startswith(wanted)]
    if exact:
        return exact[0]
    if len(starting) == 1:
        return starting[0]
    raise ValidationError.single(
        "product",
        f"Lot {number} is a lot of {', '.join(names)}"
        + (
            f"; {product.strip()} matches several of them: give the whole name."
            if starting
            else f", not of {product.strip()}."
        ),
    )


def _one_row_per_effect(effects: Sequence[Any], recalled: set[int]) -> Sequence[Any]:
    """Rows of side effects joined to the lots they name: one per side effect and lot. Where a
    side effect names several, one row: the recalled lot's when it is among them, else the
    other numbers joined."""
    if len({e[0] for e in effects}) == len(effects):
        return effects  # the usual case: at most one lot each
    merged: dict[int, list[Any]] = {}
    for e in effects:
        row = merged.get(e[0])
        if row is None:
            merged[e[0]] = list(e)
        elif row[-1] not in recalled:
            if e[-1] in recalled:
                row[-2], row[-1] = e[-2], e[-1]
            elif e[-2]:
                row[-2] = f"{row[-2]}, {e[-2]}" if row[-2] else e[-2]
    return [tuple(row) for row in merged.values()]


def _recall_entries(
    rows: list[Any],
    people: dict[int, tuple[str, str, str, str]],
    effects: Sequence[Any],
    lots: Sequence[Any],
) -> tuple[RecallEntry, ...]:
    """One entry per exposure, each with its side effects: one that suspects the lot goes with
    its own session (when that session used the lot), any other with the patient's latest
    exposure on or before its onset."""
    recalled = {r.id for r in lots}
    effects = _one_row_per_effect(effects, recalled)
    kinds, outcomes = SideEffectKind._value2member_map_, AEOutcome._value2member_map_
    grades = {g.value: g for g in Grade}
    # Thousands of rows share a few hundred days: each read once. (This loop runs for every
    # side effect of every exposed patient: kept lean.)
    days: dict[Any, date] = {}
    for e in effects:
        if e[5] not in days:
            days[e[5]] = _day(e[5])
        if e[6] and e[6] not in days:
            days[e[6]] = _day(e[6])
    # each patient's exposures in date order: the first one's row, and their days
    index_of_session = {row[0]: i for i, row in enumerate(rows)}
    first_row: dict[int, int] = {}
    exposure_days: dict[int, list[date]] = {}
    for i, row in enumerate(rows):
        pid = row[1]
        if pid not in first_row:
            first_row[pid] = i
            exposure_days[pid] = []
        exposure_days[pid].append(row[2].date())
    given: list[list[RecallSideEffect]] = [[] for _ in rows]
    number = lots[0].lot_number  # as the catalogue spells it
    latest = bisect.bisect_right
    new, effect = tuple.__new__, RecallSideEffect  # the named tuple without its Python __new__
    for (
        effect_id,
        pid,
        session_id,
        kind,
        grade,
        onset,
        resolved,
        outcome,
        lot,
        lot_id,
    ) in effects:
        suspected = lot_id in recalled
        onset_day = days[onset]
        at = index_of_session.get(session_id) if suspected else None
        if at is None:
            mine = exposure_days.get(pid)
            if mine is None:
                continue  # a lot named by a patient's side effect without any session using it
            at = first_row[pid] + max(0, latest(mine, onset_day) - 1)
        given[at].append(
            new(
                effect,
                (
                    effect_id,
                    kinds.get(kind) or SideEffectKind.parse(kind),
                    grades[grade],
                    onset_day,
                    days[resolved] if resolved else None,
                    outcomes.get(outcome) or AEOutcome.parse(outcome),
                    number if suspected else lot or "",
                    suspected,
                ),
            )
        )
    names = {r.id: r.name for r in lots}
    numbers = {r.id: r.lot_number for r in lots}  # as the catalogue spells it
    entries = []
    for i, (sid, pid, at_time, amount, lot_id, numbing) in enumerate(rows):
        record_no, first_name, last_name, phone = people[pid]
        listed = given[i]
        if len(listed) > 1:
            listed.sort(key=lambda x: (x.onset_on, x.id))
        entries.append(
            RecallEntry(
                pid,
                record_no,
                first_name,
                last_name,
                phone,
                sid,
                at_time,
                names[lot_id],
                numbers[lot_id],
                amount,
                tuple(listed),
                numbing,
            )
        )
    return tuple(entries)


class RecallService(TreatmentBase):
    def recall(self, lot_number: str, product: str | None = None) -> Recall:
        """Every patient and session that received a lot of one product - in the session's
        blend or as its numbing product (mesodesk.store.session_lots) - with the side effects
        each patient reported from that session on: those that suspect the lot, and the others.

        The number is matched case- and accent-blind (``product_lot.lot_folded``). When several
        products have a lot of that number, ``product`` says which (its name, or the start of
        it, case- and accent-blind); without it, LotInSeveralProducts lists them."""
        number = " ".join(lot_number.split())
        if not number or len(number) > 60:
            raise ValidationError.single("lot_number", "Give the lot number (up to 60 characters).")
        with no_collector_pauses():
            with self.db.read() as s:
                found = list(
                    s.execute(
                        select(LOT.id, PRODUCT.name, LOT.expiry_date, LOT.lot_number)
                        .select_from(table(m.ProductLot).join(table(m.Product)))
                        .where(LOT.lot_folded == fold_lot_number(number))
                        .order_by(PRODUCT.name, LOT.id)
                    )
                )
                if not found:
                    raise NotFoundError(f"There is no lot {number} in the catalogue.")
                names = list(dict.fromkeys(r.name for r in found))
                chosen = _choose_product(number, names, product)
                lots = [r for r in found if r.name == chosen]
                lot_ids = [r.id for r in lots]
                # Dates come as text and are read here: SQLAlchemy's per-row date processing was
                # most of the time of a recall over thousands of sessions.
                # Every session that used the lot: in its blend or as its numbing product.
                used = session_lots(lot_ids).subquery()
                exposures = _plain_rows(
                    s,
                    select(
                        SESSION.id,
                        SESSION.patient_id,
                        type_coerce(SESSION.started_at, String),
                        used.c.amount_ml,
                        used.c.lot_id,
                        used.c.numbing,
                    )
                    .select_from(
                        used.join(table(m.TreatmentSession), SESSION.id == used.c.session_id)
                    )
                    .order_by(SESSION.patient_id, SESSION.started_at, SESSION.id),
                )
                rows = [(e[0], e[1], _moment(e[2]), e[3], e[4], bool(e[5])) for e in exposures]
                # Each patient once (a patient often had the lot several times).
                exposed = list(dict.fromkeys(row[1] for row in rows))
                people: dict[int, tuple[str, str, str, str]] = {}
                for chunk in _id_chunks(s, exposed):
                    for pid, record, first_name, last_name, phone in _plain_rows(
                        s,
                        select(
                            PATIENT.id,
                            PATIENT.record_number,
                            PATIENT.first_name,
                            PATIENT.last_name,
                            PATIENT.phone,
                        ).where(PATIENT.id.in_(chunk)),
                    ):
                        people[pid] = (format_record_no(record), first_name, last_name, phone)
                # Which lots each side effect suspects, read through the one query piece: one
                # row per side effect and lot it names (or one with none), so that the recalled
                # lot gives the yes or no and the others their numbers.
                pairs = suspected_lot_pairs().subquery()
                columns = (
                    SIDE_EFFECT.id,
                    SIDE_EFFECT.patient_id,
                    SIDE_EFFECT.session_id,
                    SIDE_EFFECT.kind,
                    SIDE_EFFECT.grade,
                    type_coerce(SIDE_EFFECT.onset_on, String),
                    type_coerce(SIDE_EFFECT.resolved_on, String),
                    SIDE_EFFECT.outcome,
                    LOT.lot_number,
                    pairs.c.lot_id,
                )

                def named(source: Any) -> Any:
                    # no ORDER BY: each session's side effects are sorted in Python
                    return select(*columns).select_from(
                        source.outerjoin(pairs, pairs.c.side_effect_id == SIDE_EFFECT.id).outerjoin(
                            table(m.ProductLot), LOT.id == pairs.c.lot_id
                        )
                    )

                # The side effects each exposed patient reported from the first exposure on.
                effects = _plain_rows(s, named(_from_first_exposures(s, rows, lot_ids)))
                # And any that suspects the lot with an onset before the patient's first
                # exposure (a date typed wrong): listed rather than lost.
                suspecting = select(pairs.c.side_effect_id).where(pairs.c.lot_id.in_(lot_ids))
                total = s.execute(
                    select(func.count()).select_from(suspecting.subquery())
                ).scalar_one()
                recalled = set(lot_ids)
                if total > len({e[0] for e in effects if e[-1] in recalled}):
                    listed = {e[0] for e in effects}
                    effects.extend(
                        tuple(e)
                        for e in s.execute(
                            named(table(m.SideEffect)).where(
                                SIDE_EFFECT.id.in_(suspecting.scalar_subquery())
                            )
                        )
                        if e[0] not in listed
                    )
            entries = _recall_entries(rows, people, effects, lots)
        return Recall(
            lot_number=lots[0].lot_number,
            lots=tuple((r.id, r.name, r.expiry_date) for r in lots),
            entries=entries,
            product=chosen,
            also_in=tuple(n for n in names if n != chosen),
        )
