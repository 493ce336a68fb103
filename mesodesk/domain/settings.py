"""Clinic-wide settings, kept in the database so that every workstation shares them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import Enum, StrEnum

from mesodesk.domain.dates import DateOrder
from mesodesk.domain.errors import ErrorCollector
from mesodesk.domain.text import clean_block, clean_line, has_control_chars


class Paper(StrEnum):
    A4 = "a4"
    LETTER = "letter"


@dataclass(frozen=True)
class ClinicSettings:
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    logo_path: str = ""
    date_order: DateOrder = DateOrder.DMY
    currency: str = "USD"
    paper: Paper = Paper.A4

    def validated(self) -> ClinicSettings:
        errors = ErrorCollector()
        name = clean_line(self.clinic_name)
        address = clean_block(self.clinic_address)
        phone = clean_line(self.clinic_phone)
        currency = clean_line(self.currency).upper()
        for key, value, limit in (
            ("clinic_name", name, 120),
            ("clinic_address", address, 500),
            ("clinic_phone", phone, 40),
            ("logo_path", self.logo_path, 1000),
        ):
            if len(value) > limit:
                errors.add(key, f"At most {limit} characters.")
            elif has_control_chars(value, multiline=True):
                errors.add(key, "Holds characters that cannot be stored.")
        if not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
            errors.add("currency", "Currency is a three-letter code such as USD or EUR.")
        errors.raise_if_any()
        return replace(
            self, clinic_name=name, clinic_address=address, clinic_phone=phone, currency=currency
        )

    def to_pairs(self) -> dict[str, str]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_pairs(cls, pairs: dict[str, str]) -> ClinicSettings:
        base = cls()
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name not in pairs:
                continue
            raw = pairs[f.name]
            default = getattr(base, f.name)
            try:
                values[f.name] = type(default)(raw) if isinstance(default, Enum) else raw
            except ValueError:
                continue  # an unknown value from a newer version: keep the default
        return replace(base, **values)  # type: ignore[arg-type]


def _plain(value: object) -> str:
    return value.value if isinstance(value, Enum) else str(value)
