"""The command line: the GUI by default, and subcommands for scripts and the terminal.

Wrong arguments give a message and exit status 2; a problem with the data or the database gives
a message and exit status 1; never a traceback (MESODESK_DEBUG=1 shows one for a real bug).
Messages name fields and files, never a patient's data. A database file that does not exist is
created only with --create: a mistyped --db is an error, not a new empty clinic.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NoReturn, TextIO

from mesodesk import __version__, logs
from mesodesk.domain.errors import MesodeskError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
log = logs.get(__name__)


class UsageError(Exception):
    """Arguments that make no sense together; reported like argparse's own errors."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def positive(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 1 and {limit:,}")
        return value

    return parse


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a date (YYYY-MM-DD)") from None


def _db_option(parser: argparse.ArgumentParser, *, top: bool) -> None:
    parser.add_argument(
        "--db",
        metavar="DB",
        default=None if top else argparse.SUPPRESS,
        help="database file or SQLAlchemy URL (default: $MESODESK_DB, else the file in the "
        "user's data folder)",
    )
    parser.add_argument(
        "--create",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="create the database file (and its folder) when it does not exist yet",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mesodesk",
        description="Records for mesotherapy clinics: patients, courses, sessions, side effects.",
    )
    parser.add_argument("--version", action="version", version=f"mesodesk {__version__}")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="check this installation: a demo database, the window, a chart and a PDF, offscreen",
    )
    _db_option(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the application window (the default)")
    _db_option(gui, top=False)
    gui.set_defaults(run=cmd_gui)

    for module in _command_modules():
        module.register(sub, db_option=lambda p: _db_option(p, top=False))
    return parser


# -- helpers ------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "value"):
        return value.value
    raise TypeError(type(value).__name__)


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(data, out, ensure_ascii=False, indent=2, default=_json_default)
    out.write("\n")


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None
) -> None:
    out = out or sys.stdout
    text_rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out.write(line.rstrip() + "\n")
    for row in text_rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


class TerminalProgress:
    """Progress on stderr: one updating line on a terminal, a line per tenth otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int, message: str) -> None:
        percent = 100 * done // total if total else 100
        if self.tty:
            self.stream.write(f"\r{percent:3d}%  {message}\x1b[K")
            self.stream.flush()
        elif percent // 10 != self.last_tenth:
            self.last_tenth = percent // 10
            self.stream.write(f"{percent:3d}%  {message}\n")

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")


def open_services(args: argparse.Namespace) -> Any:
    """The services over ``--db``, created only with ``--create``; a warning the database
    carries (its trail does not match its witness, a network drive) goes to stderr."""
    from mesodesk.services.registry import Services

    services = Services.open(args.db, create=bool(getattr(args, "create", False)))
    notice = services.database.state().notice
    if notice:
        print(f"mesodesk: warning: {notice}", file=sys.stderr)
    return services


def cmd_gui(args: argparse.Namespace) -> int:
    from mesodesk.app import run_gui

    return run_gui(args.db)


def _command_modules() -> list[Any]:
    """Each module adds its subcommands to the parser and names the function that runs each."""
    from mesodesk.cli import charts, patients, reports, safety, signals, treatment

    return [patients, reports, safety, treatment, charts, signals]


def _frozen_environment() -> None:
    """In the bundle, matplotlib keeps its font cache in the user's cache folder (it would
    otherwise rebuild it at every start)."""
    from mesodesk.paths import cache_dir, is_frozen

    if is_frozen() and "MPLCONFIGDIR" not in os.environ:
        folder = cache_dir() / "matplotlib"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.environ["MPLCONFIGDIR"] = str(folder)
        except OSError:
            pass  # matplotlib falls back to a temporary folder


def _safe_streams() -> None:
    """Text a terminal cannot show (a file name in another encoding) is escaped, never a
    crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):
        import multiprocessing

        multiprocessing.freeze_support()  # the demo's worker processes, in a frozen build
    from mesodesk.files import private_umask

    private_umask()  # every file this process makes is its owner's only
    _safe_streams()
    _frozen_environment()
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = getattr(args, "run", cmd_gui)
    name = "smoke" if args.smoke else (args.command or "gui")
    if args.smoke:
        from mesodesk.app import run_smoke

        command = lambda _args: run_smoke()  # noqa: E731
    if name != "gui":  # the window's first page comes first; run_gui starts the log after it
        logs.setup()
        logs.started(name)
    status = EXIT_ERROR
    try:
        status = command(args)
        return status
    except UsageError as exc:
        status = EXIT_USAGE
        parser.error(str(exc))
    except MesodeskError as exc:
        log.info("%s refused: %s", name, type(exc).__name__)
        print(f"mesodesk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        status = 130
        print("mesodesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        status = EXIT_OK
        return EXIT_OK
    except UnicodeError:
        # bytes from the shell that are not UTF-8 text (a mistyped or pasted argument)
        print(
            "mesodesk: an argument holds characters that are not valid text (not UTF-8); "
            "type it again.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except OSError as exc:
        # The operating system refused something (a full disk, no permission, a name too
        # long): its words and the file, never a traceback.
        from mesodesk.files import os_error_message

        where = exc.filename if exc.filename is not None else "a file"
        print(f"mesodesk: {os_error_message(exc, where, 'use')}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        log.error("%s failed", name, exc_info=exc)  # the type and the code lines, no text
        if os.environ.get("MESODESK_DEBUG"):
            raise
        # The type only: an exception's text can hold the values of a record.
        print(
            f"mesodesk: internal error ({type(exc).__name__}); run again with MESODESK_DEBUG=1 "
            "to see the details.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    finally:
        log.info("%s ended with status %s", name, status)
