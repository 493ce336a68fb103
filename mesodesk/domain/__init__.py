"""Plain dataclasses, value lists and rules. No Qt, no SQL."""
