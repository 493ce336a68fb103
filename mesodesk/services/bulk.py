"""Building tens of thousands of small objects at once without collector pauses."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_collector_pauses() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a result of many rows is built.

    Every few thousand new objects the collector walks every object the program holds (all of
    SQLAlchemy, Qt's wrappers, ...), so building a lot recall of 20,000 rows spent a third of
    its time in collections that found nothing: rows and tuples make no cycles. Reference
    counting still frees everything at once; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
