"""Where the database is, resolved once from ``--db`` / MESODESK_DB / the default file.

Light on purpose (no SQLAlchemy for a plain file path): the app resolves the target before its
first page shows, and hands the same Target to the quick first page and to the full start-up.
A URL (``sqlite:///…``, ``postgresql://…``) is parsed by SQLAlchemy, imported only then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mesodesk.domain.errors import DatabaseError
from mesodesk.paths import DB_ENV, default_database


@dataclass(frozen=True)
class Target:
    """Where the database is: a SQLAlchemy URL, and the file behind it for SQLite."""

    url: str
    path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def describe(self) -> str:
        if self.path is not None:
            return str(self.path)
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


def resolve_target(value: str | os.PathLike[str] | None = None) -> Target:
    """``--db`` or MESODESK_DB (a file path or a SQLAlchemy URL), else the default file."""
    raw = os.fspath(value) if value is not None else os.environ.get(DB_ENV) or None
    if raw is None:
        path = default_database()
        return Target(f"sqlite:///{path}", path)
    if "://" in raw:
        from sqlalchemy.engine import make_url

        try:
            url = make_url(raw)
        except Exception as exc:
            raise DatabaseError(f"{raw!r} is not a database file path or URL.") from exc
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
                raise DatabaseError(
                    f"{raw!r} names no database file (a database in memory keeps nothing). "
                    "Give a file: sqlite:///path/to/clinic.sqlite3, or just the path."
                )
            path = Path(url.database).expanduser().resolve()
            return Target(f"sqlite:///{path}", path)
        return Target(raw, None)
    path = Path(raw).expanduser().resolve()
    return Target(f"sqlite:///{path}", path)
