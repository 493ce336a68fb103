"""The schema revision this mesodesk brings a database to, in a module light enough for the
first moments of start-up (no SQLAlchemy, no Alembic). A test checks that it is the head of the
migration scripts."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0006"  # the chain: 0001 ... 0005, 0007, 0008, 0006 (see 0006_integrity.py)


# -- where the migration scripts are, and which of them predate the keyed audit chain ----------
# (here rather than in store.migrate, so that store.audit can ask without importing the engine)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
KEYED_FROM = "0006"  # the migration that keys the audit chain


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@functools.lru_cache(maxsize=1)
def legacy_revisions() -> frozenset[str]:
    """The revisions before the audit chain was keyed (their chain is plain SHA-256)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    below = script.get_revision(KEYED_FROM).down_revision
    if below is None:
        return frozenset()
    return frozenset(r.revision for r in script.iterate_revisions(str(below), "base"))


def is_legacy(revision: str | None) -> bool:
    return revision is None or revision in legacy_revisions()
