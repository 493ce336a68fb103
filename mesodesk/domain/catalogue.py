"""Practitioners, products with their ingredients, and product lots with their expiry."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from mesodesk.domain.errors import ErrorCollector
from mesodesk.domain.text import clean_block, clean_line, has_control_chars

MAX_INGREDIENTS = 40
# The units a product's stock is counted in, offered in the product form (any other may be typed).
UNITS = ("ml", "mg", "g", "vial", "ampoule", "IU")
# The practitioners' titles offered in the practitioner form (any other may be typed); the
# form shows them translated (Qt context "Titles").
TITLES = ("Dermatologist", "Aesthetic physician", "Aesthetic nurse", "Nurse")
# A lot this close to its expiry is flagged in the catalogue, so that it is used first. No label
# or guideline gives a figure: GDP asks for first-expiry-first-out rotation (see
# first_expiry_first_out below) and leaves the warning window to the stockholder. 60 days is
# mesodesk's own choice, unchanged since 0.1 (docs/catalogue.md).
EXPIRING_DAYS = 60
# Ids run from 1 to SQLite's largest integer. A value outside cannot name a record, and one
# beyond 64 bits makes the database driver raise OverflowError instead of "not found".
MAX_ID = 2**63 - 1


def is_id(value: int) -> bool:
    """Whether a value can be the id of a stored record (1 to MAX_ID)."""
    return 1 <= value <= MAX_ID


def check_reference(errors: ErrorCollector, key: str, value: int | None, message: str) -> None:
    """An id picked from a list: one that cannot name a record gets ``message``, the one the
    service gives when the record is not there."""
    if value is not None and not is_id(value):
        errors.add(key, message)


def _line(
    errors: ErrorCollector, key: str, label: str, value: str, limit: int, *, required: bool
) -> str:
    value = clean_line(value)
    if required and not value:
        errors.add(key, f"{label} is required.")
    elif len(value) > limit:
        errors.add(key, f"{label} is too long (at most {limit} characters).")
    elif has_control_chars(value):
        errors.add(key, f"{label} holds characters that cannot be stored.")
    return value


def _block(errors: ErrorCollector, key: str, label: str, value: str, limit: int) -> str:
    value = clean_block(value)
    if len(value) > limit:
        errors.add(key, f"{label} is too long (at most {limit:,} characters).")
    elif has_control_chars(value, multiline=True):
        errors.add(key, f"{label} holds characters that cannot be stored.")
    return value


@dataclass(frozen=True)
class PractitionerInput:
    name: str
    title: str = ""
    active: bool = True

    def validated(self) -> PractitionerInput:
        errors = ErrorCollector()
        name = _line(errors, "name", "Name", self.name, 120, required=True)
        title = _line(errors, "title", "Title", self.title, 60, required=False)
        errors.raise_if_any()
        return replace(self, name=name, title=title)


@dataclass(frozen=True)
class Practitioner:
    id: int
    name: str
    title: str
    active: bool

    @property
    def display(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name


@dataclass(frozen=True)
class ProductInput:
    name: str
    ingredients: tuple[str, ...] = ()
    manufacturer: str = ""
    category: str = ""
    unit: str = "ml"
    notes: str = ""
    active: bool = True
    # a cream or spray put on the skin before the session (a topical anaesthetic), chosen as the
    # session's numbing product, never injected in a blend
    numbing: bool = False

    def validated(self) -> ProductInput:
        errors = ErrorCollector()
        name = _line(errors, "name", "Name", self.name, 120, required=True)
        manufacturer = _line(
            errors, "manufacturer", "Manufacturer", self.manufacturer, 120, required=False
        )
        category = _line(errors, "category", "Category", self.category, 60, required=False)
        unit = _line(errors, "unit", "Unit", self.unit, 16, required=True)
        ingredients: list[str] = []
        for raw in self.ingredients:
            item = clean_line(raw)
            if not item:
                continue
            if len(item) > 120:
                errors.add("ingredients", "Each ingredient is at most 120 characters.")
            elif has_control_chars(item):
                errors.add("ingredients", "Ingredients hold characters that cannot be stored.")
            elif item.casefold() not in (i.casefold() for i in ingredients):
                ingredients.append(item)
        if not ingredients and "ingredients" not in errors:
            errors.add(
                "ingredients", "List at least one ingredient (needed for the allergy check)."
            )
        if len(ingredients) > MAX_INGREDIENTS:
            errors.add("ingredients", f"At most {MAX_INGREDIENTS} ingredients.")
        notes = _block(errors, "notes", "Notes", self.notes, 5000)
        errors.raise_if_any()
        return replace(
            self,
            name=name,
            manufacturer=manufacturer,
            category=category,
            unit=unit,
            ingredients=tuple(ingredients),
            notes=notes,
        )


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    manufacturer: str
    category: str
    unit: str
    notes: str
    active: bool
    ingredients: tuple[str, ...]
    lots: int = 0  # how many lots it has
    numbing: bool = False  # a numbing cream or spray (ProductInput.numbing)


@dataclass(frozen=True)
class LotInput:
    product_id: int
    lot_number: str
    expiry_date: date | None
    received_on: date | None = None
    notes: str = ""

    def validated(self, today: date) -> LotInput:
        errors = ErrorCollector()
        check_reference(
            errors, "product_id", self.product_id, "Choose the product this lot belongs to."
        )
        number = _line(errors, "lot_number", "Lot number", self.lot_number, 60, required=True)
        if self.expiry_date is None:
            errors.add("expiry_date", "The expiry date is required.")
        elif self.expiry_date.year < 2000:
            errors.add("expiry_date", "The expiry date must be after 2000.")
        if self.received_on is not None:
            if self.received_on > today:
                errors.add("received_on", "The date received cannot be in the future.")
            elif self.expiry_date is not None and self.received_on > self.expiry_date:
                errors.add("received_on", "The lot was received after it expired.")
        notes = _block(errors, "notes", "Notes", self.notes, 2000)
        errors.raise_if_any()
        return replace(self, lot_number=number, notes=notes)


@dataclass(frozen=True)
class Lot:
    id: int
    product_id: int
    product: str
    lot_number: str
    expiry_date: date
    received_on: date | None
    notes: str
    uses: int = 0  # sessions that used it

    def expired_on(self, day: date) -> bool:
        return expired(self.expiry_date, day)

    @property
    def label(self) -> str:
        return f"{self.lot_number} (exp. {self.expiry_date.isoformat()})"


def expired(expiry: date, on: date) -> bool:
    """Whether a lot may no longer be used on a day. An expired lot is refused (DOMAIN.md,
    Traceability); the date on the label is the last day of use, so a lot is expired from the
    day after it. The one rule behind the session check (check_lots), the lot pickers and the
    catalogue's flags (docs/catalogue.md)."""
    return expiry < on


class Expiry(enum.Enum):
    """A lot's state on a day, as the catalogue shows it; ``urgency`` orders them."""

    IN_DATE = 0
    EXPIRING = 1  # within EXPIRING_DAYS
    EXPIRES_TODAY = 2  # the last day it may be used
    EXPIRED = 3

    @property
    def urgency(self) -> int:
        """2 expired, 1 expiring soon (today included), 0 in date: how loudly to flag it."""
        return {Expiry.IN_DATE: 0, Expiry.EXPIRED: 2}.get(self, 1)


def expiry_status(expiry: date, today: date) -> tuple[Expiry, int]:
    """A lot's state on ``today`` and the days left until its expiry date (negative: past)."""
    days = (expiry - today).days
    if expired(expiry, today):
        return Expiry.EXPIRED, days
    if days == 0:
        return Expiry.EXPIRES_TODAY, days
    if days <= EXPIRING_DAYS:
        return Expiry.EXPIRING, days
    return Expiry.IN_DATE, days


def first_expiry_first_out(lots: Iterable[Lot], on: date) -> list[Lot]:
    """The lots in date on ``on``, the one to use first at the head: the soonest to expire.

    First-expiry-first-out ("FEFO") is how stock of dated medicinal products is rotated: EU
    Guidelines on Good Distribution Practice of medicinal products (2013/C 343/01, 5.5 Storage:
    stock rotated by the "first expiry, first out" principle, exceptions documented), and WHO
    Good storage and distribution practices for medical products (TRS 1025, Annex 7, 2020).
    Clinics follow it so that the soonest-expiring lot is used before it lapses. Lots expiring
    the same day keep the order they were received in (then their id), so the choice is stable.
    """
    usable = [lot for lot in lots if not lot.expired_on(on)]
    return sorted(usable, key=lambda lot: (lot.expiry_date, lot.received_on or date.min, lot.id))
