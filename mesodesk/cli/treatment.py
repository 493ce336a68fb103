"""The treatment record from the command line: `show`, `due`, `recall`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from mesodesk.cli import EXIT_OK, UsageError, iso_date, open_services, print_json, print_table
from mesodesk.domain.schedule import DueState

if TYPE_CHECKING:
    from mesodesk.domain.patients import Patient
    from mesodesk.domain.treatment import Course, LotInSeveralProducts, PatientRecord


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    show = sub.add_parser("show", help="a patient's whole record")
    db_option(show)
    show.add_argument("record_no", metavar="RECORD_NO", help="such as MD-000123")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=cmd_show)

    due = sub.add_parser("due", help="patients due for a session on or before a date")
    db_option(due)
    due.add_argument("--date", type=iso_date, default=None, metavar="D", help="default: today")
    due.add_argument(
        "--lapsed",
        action="store_true",
        help="the courses whose maintenance has lapsed by D instead (overdue by twice the "
        "maintenance interval)",
    )
    due.add_argument("--json", action="store_true", help="print JSON")
    due.set_defaults(run=cmd_due)

    recall = sub.add_parser(
        "recall",
        help="every patient and session that received a lot, and the side effects since",
        description="Every patient and session that received a lot of one product, with the "
        "side effects reported since: those that suspect the lot, and the others. The number is "
        "matched case- and accent-blind. When several products have a lot of that number, "
        "--product says which (on a terminal, mesodesk asks).",
    )
    db_option(recall)
    recall.add_argument("lot", metavar="LOT_NUMBER")
    recall.add_argument(
        "--product", metavar="NAME", help="the product (its name or the start of it)"
    )
    out = recall.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV (spreadsheet-safe)")
    recall.set_defaults(run=cmd_recall)


def patient_json(p: Patient) -> dict[str, Any]:
    return {
        "record_no": p.record_no,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "birth_date": p.birth_date,
        "sex": p.sex.value,
        "phone": p.phone,
        "email": p.email,
        "address": p.address,
        "allergies": list(p.allergies),
        "contraindications": sorted(c.value for c in p.contraindications),
        "contraindication_note": p.contraindication_note,
        "medical_notes": p.medical_notes,
        "consent_date": p.consent_date,
        "guardian_name": p.guardian_name,
        "archived": p.archived,
        "last_session": p.last_session_at,
        "next_due": p.next_due,
        "lapsed_since": p.lapsed_since,
    }


def record_json(record: PatientRecord, today: date) -> dict[str, Any]:
    return {
        "patient": patient_json(record.patient),
        "courses": [
            {
                "id": c.id,
                "indication": c.indication.value,
                "indication_note": c.indication_note,
                "areas": [a.value for a in c.areas],
                "status": c.status.value,
                "started_on": c.started_on,
                "ended_on": c.ended_on,
                "planned_sessions": c.plan.planned_sessions,
                "induction_sessions": c.plan.induction_sessions,
                "induction_interval_days": c.plan.induction_interval_days,
                "later_interval": c.plan.later_interval.value,
                "maintenance_interval_months": c.plan.maintenance_interval_months,
                "sessions_done": c.sessions_done,
                "price_per_session": _money(c.price_per_session_cents),
                "total_price": _money(c.total_price_cents),
                "next_due": c.next_due.on if c.next_due else None,
                "next_due_phase": c.next_due.phase.value if c.next_due else None,
                "next_due_state": c.next_due.state(today).value if c.next_due else None,
                "lapses_on": c.next_due.lapses_on if c.next_due else None,
                "maintenance_ended_by": c.maintenance_ended_by,
            }
            for c in record.courses
        ],
        "sessions": [
            {
                "id": s.id,
                "course_id": s.course_id,
                "number": s.number,
                "date": s.started_at,
                "practitioner": s.practitioner or None,
                "areas": [a.value for a in s.areas],
                "depth_mm": s.depth_mm,
                "numbing_agent": s.numbing_agent.value,
                "numbing": {
                    "product": s.numbing.product,
                    "lot": s.numbing.lot_number,
                    "expiry": s.numbing.expiry_date,
                }
                if s.numbing
                else None,
                "technique": s.technique.value,
                "injection_points": s.injection_points,
                "total_volume_ml": s.total_volume_ml,
                "blend": [
                    {
                        "product": b.product,
                        "lot": b.lot_number,
                        "amount": b.amount_ml,
                        "expiry": b.expiry_date,
                    }
                    for b in s.blend
                ],
                "pain_nrs": s.pain_nrs,
                "gais": s.gais,
                "satisfaction": s.satisfaction,
                "price": _money(s.price_cents),
                "notes": s.notes,
                "safety_confirmed": list(s.safety_confirmed),
                "override_reason": s.override_reason,
            }
            for s in record.sessions
        ],
        "side_effects": [
            {
                "id": e.id,
                "kind": e.kind.value,
                "kind_note": e.kind_note,
                "grade": int(e.grade),
                "severity": e.grade.severity.value,
                "onset": e.onset_on,
                "resolved": e.resolved_on,
                "outcome": e.outcome.value,
                "serious": e.serious,
                "causality": e.causality.value,
                "pain_nrs": e.pain_nrs,
                "body_area": e.body_area.value if e.body_area else None,
                "session_id": e.session_id,
                "lots": [{"product": lot.product, "lot": lot.lot_number} for lot in e.lots],
                "suspects_blend": e.suspects_blend,
                "action_taken": e.action_taken.value,
                "reported_via": e.reported_via.value,
                "reported_at": e.reported_at,
                "notes": e.notes,
                "safety_confirmed": list(e.safety_confirmed),
            }
            for e in record.side_effects
        ],
        "outcomes": [asdict(o) for o in record.outcomes],
    }


def _money(cents: int | None) -> float | None:
    return None if cents is None else cents / 100


def cmd_show(args: argparse.Namespace) -> int:
    services = open_services(args)
    try:
        patient = services.patients.get_by_record_no(args.record_no)
        record = services.treatment.record(patient.id)
        today = services.clock.today()
    finally:
        services.close()
    if args.json:
        print_json(record_json(record, today))
        return EXIT_OK
    p = record.patient
    print(f"{p.record_no}  {p.last_name}, {p.first_name}  born {p.birth_date.isoformat()}")
    if p.allergies:
        print(f"ALLERGIES: {', '.join(p.allergies)}")
    if p.contraindications:
        print(f"CONTRAINDICATIONS: {'; '.join(sorted(c.label for c in p.contraindications))}")
    for c in record.courses:
        print(
            f"\nCourse: {c.title} ({c.status.label}), sessions {c.progress}, "
            f"next due {due_words(c, record, today)}"
        )
        review = record.review_of(c.id)
        if review is not None:
            by = f", assessed by {review.assessor}" if review.assessor else ""
            print(
                f"  Review {review.assessed_on.isoformat()}: "
                f"{review.scores or 'no scores recorded'}{by}"
            )
    if record.sessions:
        print()
        print_table(
            ["Date", "Course", "Blend", "Numbing", "Depth", "Pain", "GAIS"],
            [
                [
                    s.started_at.strftime("%Y-%m-%d %H:%M"),
                    f"#{s.number}",
                    "; ".join(f"{b.product} {b.lot_number} {b.amount_ml:g} ml" for b in s.blend),
                    s.numbing_text,
                    f"{s.depth_mm:g} mm",
                    s.pain_nrs,
                    s.gais,
                ]
                for s in record.sessions
            ],
        )
    if record.side_effects:
        print()
        print_table(
            ["Onset", "Kind", "Grade", "Resolved", "Outcome", "Suspected"],
            [
                [
                    e.onset_on.isoformat(),
                    e.title,
                    int(e.grade),
                    e.resolved_on.isoformat() if e.resolved_on else "ongoing",
                    e.outcome.label,
                    e.lots_text,
                ]
                for e in record.side_effects
            ],
        )
    return EXIT_OK


def due_words(course: Course, record: PatientRecord, today: date) -> str:
    """'2027-01-12 (maintenance, overdue)', '- (maintenance ended by the course started
    2026-05-02)', as `show` prints a course's next due date."""
    due = course.next_due
    if due is None:
        newer = next((c for c in record.courses if c.id == course.maintenance_ended_by), None)
        if newer is not None:
            return f"- (maintenance ended by the course started {newer.started_on.isoformat()})"
        return "-"
    state = due.state(today)
    words = f"{due.on.isoformat()} ({due.phase.label.lower()}"
    if state is DueState.LAPSED:
        assert due.lapses_on is not None
        return words + f", lapsed since {due.lapses_on.isoformat()})"
    if state is DueState.UPCOMING:
        return words + ")"
    return words + f", {state.label.lower()})"


def cmd_due(args: argparse.Namespace) -> int:
    services = open_services(args)
    try:
        by: date = args.date or services.clock.today()
        entries = services.courses.due(by, lapsed=args.lapsed)
        today = services.clock.today()
    finally:
        services.close()
    if args.json:
        print_json(
            [
                {
                    "record_no": d.record_no,
                    "first_name": d.first_name,
                    "last_name": d.last_name,
                    "phone": d.phone,
                    "course_id": d.course_id,
                    "indication": d.indication.value,
                    "due": d.due_on,
                    "days_overdue": d.days_overdue(today),
                    "sessions_done": d.sessions_done,
                    "planned_sessions": d.planned_sessions,
                    "last_session": d.last_session_on,
                    "lapses_on": d.lapses_on,
                }
                for d in entries
            ]
        )
        return EXIT_OK
    if args.lapsed:
        print_table(
            ["Was due", "Lapsed since", "Record", "Name", "Phone", "Course", "Done"],
            [
                [
                    d.due_on.isoformat(),
                    d.lapses_on.isoformat() if d.lapses_on else "",
                    d.record_no,
                    f"{d.last_name}, {d.first_name}",
                    d.phone,
                    d.indication.label,
                    _done(d.sessions_done, d.planned_sessions),
                ]
                for d in entries
            ],
        )
        print(f"\n{len(entries)} course(s) with a maintenance lapsed by {by.isoformat()}")
        return EXIT_OK
    print_table(
        ["Due", "Overdue", "Record", "Name", "Phone", "Course", "Done"],
        [
            [
                d.due_on.isoformat(),
                f"{d.days_overdue(today)} d" if d.days_overdue(today) else "",
                d.record_no,
                f"{d.last_name}, {d.first_name}",
                d.phone,
                d.indication.label,
                _done(d.sessions_done, d.planned_sessions),
            ]
            for d in entries
        ],
    )
    print(f"\n{len(entries)} course(s) due on or before {by.isoformat()}")
    return EXIT_OK


def _done(done: int, planned: int) -> str:
    return f"{min(done, planned)}/{planned}" + (" +m" if done > planned else "")


def _ask_product(error: LotInSeveralProducts) -> str:
    """Which product, asked on the terminal; refused (exit 2) when nobody can answer."""
    choices = "; ".join(error.products)
    if not sys.stdin.isatty():
        raise UsageError(
            f"lot {error.number} exists for several products ({choices}): "
            "say which with --product NAME"
        )
    print(f"Lot {error.number} exists for {len(error.products)} products:", file=sys.stderr)
    for i, name in enumerate(error.products, 1):
        print(f"  {i}  {name}", file=sys.stderr)
    for _attempt in range(3):
        print(f"Which one? [1-{len(error.products)}] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
        if not answer:
            break
        answer = answer.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(error.products):
            return error.products[int(answer) - 1]
    raise UsageError(f"no product chosen for lot {error.number}; say which with --product NAME")


def cmd_recall(args: argparse.Namespace) -> int:
    from mesodesk.domain.errors import ValidationError
    from mesodesk.domain.treatment import LotInSeveralProducts
    from mesodesk.services.export import recall_session_rows, write_recall_csv

    services = open_services(args)
    try:
        try:
            recall = services.recall.recall(args.lot, args.product)
        except LotInSeveralProducts as several:
            recall = services.recall.recall(args.lot, _ask_product(several))
        except ValidationError as exc:
            raise UsageError(" ".join(exc.errors.values())) from exc
    finally:
        services.close()
    if args.csv:
        write_recall_csv(recall, sys.stdout)
        return EXIT_OK
    if args.json:
        suspecting = recall.side_effects(suspected=True)
        print_json(
            {
                "lot": recall.lot_number,
                "product": recall.product,
                "expiry": recall.lots[0][2],
                "also_in_products": list(recall.also_in),
                "patients": recall.patients,
                "suspected_side_effects": len(suspecting),
                "other_side_effects": len(recall.side_effects(suspected=False)),
                "sessions": [
                    {
                        "record_no": e.record_no,
                        "first_name": e.first_name,
                        "last_name": e.last_name,
                        "phone": e.phone,
                        "date": e.started_at,
                        "product": e.product,
                        "lot": e.lot_number,
                        "amount": e.amount_ml,
                        "used_as": "numbing" if e.numbing else "blend",
                        "side_effects": [
                            {
                                "kind": x.kind.value,
                                "grade": int(x.grade),
                                "onset": x.onset_on,
                                "resolved": x.resolved_on,
                                "outcome": x.outcome.value,
                                "suspected": x.suspected,
                                "suspected_lot": x.suspected_lot or None,
                            }
                            for x in e.side_effects
                        ],
                    }
                    for e in recall.entries
                ],
            }
        )
        return EXIT_OK
    print_table(
        [
            "Record",
            "Last name",
            "First name",
            "Phone",
            "Session",
            "Used",
            "Side effects suspecting this lot",
            "Other side effects since",
        ],
        recall_session_rows(recall),
    )
    also = f" (also a lot number of {', '.join(recall.also_in)})" if recall.also_in else ""
    print(
        f"\nLot {recall.lot_number} of {recall.product}{also}: {len(recall.entries)} session(s), "
        f"{recall.patients} patient(s); {len(recall.side_effects(suspected=True))} side "
        f"effect(s) suspecting this lot, {len(recall.side_effects(suspected=False))} other "
        "side effect(s) since"
    )
    return EXIT_OK
