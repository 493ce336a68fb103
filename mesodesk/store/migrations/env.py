"""Alembic environment: always given a connection by mesodesk.store.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

from mesodesk.store.models import metadata

config = context.config


def render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Write sqlmodel's column types as plain SQLAlchemy ones, so that a revision never depends
    on sqlmodel's internals."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String({getattr(obj.impl, 'length', None) or ''})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "mesodesk migrations run through mesodesk.store.migrate, with a connection"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        # SQLite's DDL is transactional too: the whole upgrade is one transaction, so that a kill
        # mid-way leaves the schema as it was, and what runs after the last migration (the
        # foreign-key check, the new seals below) commits with it. Alembic's default for SQLite
        # commits each revision on its own and left the rest in a transaction never committed.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        # A database whose rows are sealed already (0006 and later): the rows are checked
        # against their seals before the migrations change them, and sealed again afterwards,
        # with an entry saying what was found (mesodesk.store.integrity.UpgradeSeal).
        reseal = None
        if not config.attributes.get("schema_only"):
            from mesodesk.store.integrity import UpgradeSeal

            reseal = UpgradeSeal.before(connection, config.attributes)
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            bad = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
            if bad:
                raise RuntimeError(f"migration left {len(bad)} rows with broken foreign keys")
        if reseal is None and "sealed_by_0006" in config.attributes:
            # sealed by 0006 in this very run: the migrations after it changed the rows (the
            # columns they add count in a row's MAC), so the rows are sealed again
            from mesodesk.domain.audit import Actor
            from mesodesk.store.integrity import UpgradeSeal

            actor = config.attributes.get("actor") or Actor.system()
            reseal = UpgradeSeal(config.attributes.pop("sealed_by_0006"), "0006", [], actor)
        if reseal is not None:
            reseal.after(connection)


run_migrations()
