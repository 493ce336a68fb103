"""The catalogue's expiry rules, in the domain: one rule for the session check, the pickers and
the catalogue's flags (docs/catalogue.md)."""

from datetime import date, timedelta

import pytest

from mesodesk.domain.catalogue import EXPIRING_DAYS, Expiry, Lot, expired, expiry_status
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.treatment import BlendInput, check_lots

DAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("days_left", "state", "urgency"),
    [
        (-1, Expiry.EXPIRED, 2),
        (0, Expiry.EXPIRES_TODAY, 1),
        (1, Expiry.EXPIRING, 1),
        (EXPIRING_DAYS, Expiry.EXPIRING, 1),
        (EXPIRING_DAYS + 1, Expiry.IN_DATE, 0),
    ],
)
def test_expiry_status(days_left: int, state: Expiry, urgency: int) -> None:
    expiry = DAY + timedelta(days=days_left)
    assert expiry_status(expiry, DAY) == (state, days_left)
    assert state.urgency == urgency
    assert expired(expiry, DAY) is (days_left < 0)


def test_the_session_check_and_the_lot_agree_on_the_last_day() -> None:
    lot = Lot(1, 1, "Vitamin C", "VC-1", DAY, None, "")
    assert not lot.expired_on(DAY) and lot.expired_on(DAY + timedelta(days=1))
    check_lots([BlendInput(1, 1.0)], {1: ("VC-1", DAY)}, DAY)  # its last day: accepted
    with pytest.raises(ValidationError, match="VC-1 expired"):
        check_lots([BlendInput(1, 1.0)], {1: ("VC-1", DAY)}, DAY + timedelta(days=1))
