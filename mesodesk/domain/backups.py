"""Backup files: how they are named, and which of them rotation keeps.

A backup is ``<database name>-<UTC time>.sqlite3`` in the backup folder, for example
``mesodesk-20261124T103000Z.sqlite3``. The copy taken just before a restore is
``<database name>-before-restore-<UTC time>.sqlite3``: rotation never removes it.

Rotation keeps, like restic's ``--keep-within 48h --keep-daily 7 --keep-weekly 4
--keep-monthly 12``: every backup of the last 48 hours (so that a morning backup can undo an
afternoon mistake, and yesterday's can undo today's), then the newest backup of each of the 7
most recent days that have one, of each of the 4 most recent weeks, and of each of the 12 most
recent months (days, weeks and months of the clinic's local calendar). A copy taken before a
restore is never rotated away.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

SUFFIX = ".sqlite3"
BEFORE_RESTORE = "before-restore"
KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_MONTHLY = 12
KEEP_WITHIN = timedelta(hours=48)
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^(?P<stem>.+?)-(?P<kind>before-restore-)?(?P<stamp>\d{8}T\d{6}Z)\.sqlite3$")


def stamp(instant: datetime) -> str:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime(_STAMP)


def backup_name(stem: str, instant: datetime, *, before_restore: bool = False) -> str:
    kind = f"{BEFORE_RESTORE}-" if before_restore else ""
    return f"{stem}-{kind}{stamp(instant)}{SUFFIX}"


@dataclass(frozen=True)
class BackupName:
    stem: str
    taken_at: datetime  # UTC, aware
    before_restore: bool


def parse_backup_name(name: str) -> BackupName | None:
    match = _NAME.match(name)
    if match is None:
        return None
    try:
        taken = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    return BackupName(match["stem"], taken, bool(match["kind"]))


def _local_day(instant: datetime) -> date:
    return instant.astimezone().date()


def to_keep(
    instants: Iterable[datetime],
    *,
    daily: int = KEEP_DAILY,
    weekly: int = KEEP_WEEKLY,
    monthly: int = KEEP_MONTHLY,
    within: timedelta = KEEP_WITHIN,
    now: datetime | None = None,
    day_of: Callable[[datetime], date] = _local_day,
) -> set[datetime]:
    """The instants (of regular backups) that rotation keeps; the others may be removed.
    ``now`` (default: the newest backup) is where the last ``within`` hours end."""
    newest_first = sorted(set(instants), reverse=True)
    if not newest_first:
        return set()
    end = max(now or newest_first[0], newest_first[0])
    keep: set[datetime] = {i for i in newest_first if i >= end - within}

    def bucket(key: Callable[[date], object], count: int) -> None:
        seen: set[object] = set()
        for instant in newest_first:
            if len(seen) >= count:
                break
            k = key(day_of(instant))
            if k not in seen:
                seen.add(k)
                keep.add(instant)

    bucket(lambda d: d, daily)
    bucket(lambda d: d.isocalendar()[:2], weekly)
    bucket(lambda d: (d.year, d.month), monthly)
    return keep
