"""mesodesk's log: what happened, for whoever supports the clinic, and never a patient's data.

Everything mesodesk logs goes through the ``mesodesk`` logger into a rotating file in the data
folder (``logs/mesodesk.log``, five files of 1 MB at most). What is written is mesodesk's own
words: the command that ran, how long a step took, counts, schema revisions, the *type* of an
error and where in the code it happened. Never a name, a record number, a note, a file a person
chose (its name may be a patient's) or an exception's text: an exception's text may quote a
record's values (SQLAlchemy puts the statement's parameters in its messages), so the formatter
below writes every traceback with the types and code lines only.

Other libraries' loggers are not written to the file: SQLAlchemy, for one, logs its
statements' parameters when asked to.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

LOGGER = "mesodesk"
FILENAME = "mesodesk.log"
MAX_BYTES = 1_000_000
BACKUPS = 4  # mesodesk.log and mesodesk.log.1 to .4

# A library does not print its log on stderr by itself: without setup() (tests, a script that
# imports mesodesk) nothing is written anywhere.
logging.getLogger(LOGGER).addHandler(logging.NullHandler())

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def get(name: str) -> logging.Logger:
    """The logger of a mesodesk module (``get(__name__)``)."""
    return logging.getLogger(name if name.startswith(LOGGER) else f"{LOGGER}.{name}")


def describe_exception(error: BaseException) -> str:
    """An exception as the log keeps it: each exception of the chain by its type, with the
    frames it went through, and never its text."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        kind = type(current)
        name = f"{kind.__module__}.{kind.__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{name}")
        if current.__cause__ is not None:
            link = "\nThe above exception was the direct cause of the following exception:\n"
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link = "\nDuring handling of the above exception, another exception occurred:\n"
            current = current.__context__
        else:
            break
        parts.append(link)
    # the chain was walked from the last exception back to the first; print it as Python does
    return "\n".join(reversed(parts)).rstrip()


class SafeFormatter(logging.Formatter):
    """Writes ``logger.exception(...)`` tracebacks without the exceptions' text."""

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the first handler's traceback text on the record; another handler's
        # (a test runner's, say) holds the exception's text: always make our own
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: ExcInfo) -> str:
        error = ei[1]
        return describe_exception(error) if error is not None else ""

    def formatStack(self, stack_info: str) -> str:
        return stack_info  # code locations only: no values


def log_folder() -> Path:
    from mesodesk.paths import data_dir

    return data_dir() / "logs"


def started(command: str) -> None:
    """The first line of a run: the command's name only (its arguments may be a record number
    or a file named after a patient)."""
    from mesodesk import __version__

    get(LOGGER).info(
        "mesodesk %s: %s (Python %s, %s)",
        __version__,
        command,
        sys.version.split()[0],
        sys.platform,
    )


def current_file() -> Path | None:
    """The file mesodesk logs to, or None when it logs nowhere."""
    from logging.handlers import RotatingFileHandler

    for handler in logging.getLogger(LOGGER).handlers:
        if isinstance(handler, RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def shutdown() -> None:
    """Stop logging to the file (tests, between one data folder and the next)."""
    from logging.handlers import RotatingFileHandler

    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, RotatingFileHandler):
            logger.removeHandler(handler)
            handler.close()


def setup(folder: Path | None = None) -> Path | None:
    """Send mesodesk's log to the rotating file (once per process; a later call with another
    folder moves it). Returns the file, or None when the folder cannot be written: mesodesk
    then runs without a log rather than not at all."""
    # imported here: the GUI's first page shows before any of this
    from logging.handlers import RotatingFileHandler

    folder = folder or log_folder()
    path = folder / FILENAME
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, RotatingFileHandler):
            if Path(handler.baseFilename) == path.resolve():
                return path
            logger.removeHandler(handler)
            handler.close()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setFormatter(
        SafeFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # never on stderr through the root logger
    return path
