from datetime import date

from mesodesk.domain.catalogue import Lot, first_expiry_first_out


def lot(id_: int, expiry: date, received: date | None = None) -> Lot:
    return Lot(id_, 1, "HA", f"L-{id_}", expiry, received, "")


def test_the_soonest_expiring_lot_in_date_comes_first() -> None:
    today = date(2026, 11, 24)
    lots = [
        lot(1, date(2028, 1, 31)),
        lot(2, date(2026, 11, 23)),  # expired yesterday: not offered
        lot(3, date(2027, 2, 28)),
        lot(4, date(2026, 11, 24)),  # last day of use: still in date
    ]
    assert [x.id for x in first_expiry_first_out(lots, today)] == [4, 3, 1]


def test_lots_expiring_the_same_day_go_in_the_order_received() -> None:
    same = date(2027, 6, 30)
    lots = [lot(7, same, date(2026, 9, 1)), lot(5, same, date(2026, 10, 1)), lot(6, same)]
    assert [x.id for x in first_expiry_first_out(lots, date(2026, 11, 24))] == [6, 7, 5]
