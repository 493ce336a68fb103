"""What a change touched, so that each view refreshes only what it shows (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    patients: bool = False
    treatment: bool = False
    catalogue: bool = False
    settings: bool = False
    audit: bool = False
    patient_ids: frozenset[int] = field(default_factory=frozenset)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            patients=self.patients or other.patients,
            treatment=self.treatment or other.treatment,
            catalogue=self.catalogue or other.catalogue,
            settings=self.settings or other.settings,
            audit=self.audit or other.audit,
            patient_ids=self.patient_ids | other.patient_ids,
        )

    @property
    def any(self) -> bool:
        return self.patients or self.treatment or self.catalogue or self.settings or self.audit


@dataclass(frozen=True)
class Result(Generic[T]):
    """A service's answer to a change: the value, and what changed."""

    value: T
    changes: Changes
    warning: str = ""  # the change was made, but something after it was not (said, not raised)


def patient_changed(patient_id: int) -> Changes:
    return Changes(patients=True, patient_ids=frozenset({patient_id}))
