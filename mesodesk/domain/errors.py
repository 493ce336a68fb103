"""The errors a person can meet, each with a message fit to show them."""

from __future__ import annotations

from collections.abc import Mapping


class MesodeskError(Exception):
    """An error with a message meant for the person using mesodesk."""


class ValidationError(MesodeskError):
    """Input that cannot be stored. ``errors`` maps each field name to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class NotFoundError(MesodeskError):
    """The record asked for does not exist (any more)."""


class ConflictError(MesodeskError):
    """The record changed or is in a state that forbids the change."""


class DatabaseError(MesodeskError):
    """The database cannot be opened or used as asked; the message says why and what to do."""


class ErrorCollector:
    """Gathers one message per field so that a form can show them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
