"""Printing a PDF as a document: the file goes to the print service as it is.

On Linux and macOS the print service is CUPS, and every CUPS queue accepts a PDF: CUPS's own
filters turn it into whatever the printer speaks. So the summary is handed over with CUPS's
command-line client (``lp``, and ``lpstat`` to list printers), with the printer, copies, page
range, paper, duplex and colour as job options. Handing over a 7-page summary takes a few
milliseconds and no memory to speak of; rasterising it at the printer's resolution took seconds
and gigabytes and sent pictures instead of text.

This module has no Qt: the command line uses it directly, and the app maps its print dialog's
choices onto ``PrintOptions``. Windows has no such service; there the app prints through Qt
(``mesodesk.ui.printing``), in bands.

The client tools run in the C locale, so that their output can be read whatever the user's
language; their messages are passed on in words, never a patient's data (the job title is the
record number, since the title shows in the queue and CUPS's logs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from mesodesk.domain.errors import MesodeskError, ValidationError

COPIES_MAX = 999
# CUPS option names are IPP keywords or PPD option names: letters, digits, '-', '_', '.'.
_OPTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")
_PAGES = re.compile(r"\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*")
SIDES = ("one-sided", "two-sided-long-edge", "two-sided-short-edge")
COLOURS = ("color", "monochrome")


class PrintError(MesodeskError):
    """The print service is missing or refused the job; the message says which, in words."""


@dataclass(frozen=True)
class PrintOptions:
    """What a print dialog (or the command line) chose for one job."""

    printer: str | None = None  # None: the system's (or the user's) default printer
    copies: int = 1
    pages: str | None = None  # a CUPS page list, "1-3,5"; None: every page
    media: str | None = None  # paper, as CUPS names it ("A4", "Letter"); None: the printer's
    sides: str | None = None  # one of SIDES; None: the printer's default
    color: str | None = None  # one of COLOURS; None: the printer's default
    collate: bool | None = None
    landscape: bool = False
    title: str = "mesodesk"
    extra: tuple[tuple[str, str], ...] = ()  # further CUPS options, as the print dialog set them

    def validated(self) -> PrintOptions:
        problems: dict[str, str] = {}
        if self.printer is not None and not _printer_name_ok(self.printer):
            problems["printer"] = "A printer name has no spaces, slashes or '#', and is not empty."
        if not 1 <= self.copies <= COPIES_MAX:
            problems["copies"] = f"Copies must be between 1 and {COPIES_MAX}."
        if self.pages is not None and not _PAGES.fullmatch(self.pages):
            problems["pages"] = "Pages are numbers and ranges such as 1-3,5."
        if self.sides is not None and self.sides not in SIDES:
            problems["sides"] = f"Sides is one of {', '.join(SIDES)}."
        if self.color is not None and self.color not in COLOURS:
            problems["color"] = f"Colour is one of {', '.join(COLOURS)}."
        if self.media is not None and not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", self.media):
            problems["media"] = "Not a paper size CUPS knows."
        for name, _value in self.extra:
            if not _OPTION_NAME.fullmatch(name):
                problems["extra"] = f"{name[:30]!r} is not a print option."
        if problems:
            raise ValidationError(problems)
        return self

    def lp_arguments(self) -> list[str]:
        """The ``lp`` arguments for these choices (the file comes after them)."""
        self.validated()
        options: dict[str, str] = {}
        for name, value in self.extra:
            if value != "":
                options[name] = value
        # What the dialog shows on its first page wins over what its Properties tab set.
        if self.media:
            options["media"] = self.media
        if self.sides:
            options["sides"] = self.sides
        if self.color:
            options["print-color-mode"] = self.color
        if self.collate is not None and self.copies > 1:
            options["collate"] = "true" if self.collate else "false"
        if self.landscape:
            options["orientation-requested"] = "4"
        options.pop("page-ranges", None)  # given with -P below
        options.pop("copies", None)
        args = []
        if self.printer:
            args += ["-d", self.printer]
        args += ["-n", str(self.copies), "-t", self.title]
        if self.pages:
            args += ["-P", re.sub(r"\s+", "", self.pages)]
        for name, value in options.items():
            args += ["-o", f"{name}={_quoted(value)}"]
        return args


@dataclass(frozen=True)
class PrintJob:
    """A job the print service has taken."""

    printer: str
    job_id: str  # as CUPS names it ("Office-42"); empty when the platform gives none
    copies: int = 1
    warning: str = ""  # the printer took the job but will not print it yet, and why
    pages: str = ""  # the pages asked for ("2-3,5"); empty: every page

    def describe(self) -> str:
        what = f"Sent to {self.printer}" + (f" as job {self.job_id}" if self.job_id else "")
        return what + "." + (f" {self.warning}" if self.warning else "")


@dataclass(frozen=True)
class Printer:
    name: str
    state: str = "idle"  # idle, printing, stopped; "available" for one found on the network
    accepting: bool = True
    reason: str = ""  # why it is stopped or not accepting, as CUPS says it
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class PrinterList:
    printers: tuple[Printer, ...]
    default: str | None

    def get(self, name: str) -> Printer | None:
        return next((p for p in self.printers if p.name == name), None)


# A function that prints one PDF and says which job it became (CUPS here, Qt on Windows).
Sender = Callable[[Path, str], PrintJob]


def _printer_name_ok(name: str) -> bool:
    # CUPS: up to 127 printable characters, no space, '/', '\\', '#', quotes (lpadmin(8)).
    return bool(name) and len(name) <= 127 and not re.search(r"[\s/\\#'\"\x00-\x1f\x7f]", name)


def _quoted(value: str) -> str:
    """A value as cupsParseOptions reads it: quoted when it holds a space, quote or backslash."""
    if not re.search(r"[\s'\"\\]", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _words(stderr: str) -> str:
    """The first thing CUPS's client said, without its program name and "Error -"."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "no reason given"
    text = re.sub(r"^(?:\S*/)?(lp|lpstat):\s*", "", lines[0])
    text = re.sub(r"^Error\s*-\s*", "", text)
    return text[:1].upper() + text[1:]


_HINTS = (
    ("scheduler is not running", "Is the print service (CUPS) running on this computer?"),
    ("scheduler not responding", "Is the print service (CUPS) running on this computer?"),
    ("unable to connect", "Is the print server reachable? Check CUPS_SERVER or client.conf."),
    ("does not exist", "Check the printer's name with `mesodesk printers`."),
    ("no default destination", "Choose a printer, or set a default one in the system settings."),
    (
        "not accepting",
        "The printer is set to refuse jobs: cupsaccept, or the system's printer settings, "
        "lets them in again.",
    ),
)


def _explained(message: str) -> str:
    lowered = message.lower()
    for fragment, hint in _HINTS:
        if fragment in lowered:
            return f"{message.rstrip('.')}. {hint}"
    return message


_LABEL = re.compile(r"[A-Z][A-Za-z ]*:(\s|$)")  # "Form mounted:", "Description: ..." of lpstat -l


def parse_lpstat(text: str) -> PrinterList:
    """Read the C-locale output of ``lpstat -l -p -a -d``.

    A stopped printer's line ends with " -" and its reason follows, indented; so does the reason
    of one that refuses jobs. ``-l`` adds indented "Label: value" lines, of which the
    description and the location are kept.
    """
    printers: dict[str, dict[str, object]] = {}
    default: str | None = None
    current: str | None = None
    wants_reason: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if raw[:1] in ("\t", " "):
            if current is None:
                continue
            entry = printers[current]
            if wants_reason is not None and not _LABEL.match(line):
                if line.lower() not in ("reason unknown", "paused") and not entry.get("reason"):
                    entry["reason"] = line
            elif line.startswith("Description:"):
                entry["description"] = line.split(":", 1)[1].strip()
            elif line.startswith("Location:"):
                entry["location"] = line.split(":", 1)[1].strip()
            wants_reason = None
            continue
        wants_reason = None
        current = None
        if match := re.match(r"printer (\S+) (?:is (idle|printing)|(disabled))", line):
            current = match.group(1)
            printers.setdefault(current, {})["state"] = match.group(2) or "stopped"
            wants_reason = current if match.group(3) else None
        elif match := re.match(r"(\S+) (not )?accepting requests", line):
            current = match.group(1)
            printers.setdefault(current, {})["accepting"] = not match.group(2)
            wants_reason = current if match.group(2) else None
        elif match := re.match(r"system default destination: (\S+)", line):
            default = match.group(1)
    listed = []
    for name, entry in sorted(printers.items(), key=lambda kv: kv[0].casefold()):
        description = str(entry.get("description", ""))
        listed.append(
            Printer(
                name=name,
                state=str(entry.get("state", "available")),
                accepting=bool(entry.get("accepting", True)),
                reason=str(entry.get("reason", "")),
                description="" if description == name else description,
                location=str(entry.get("location", "")),
            )
        )
    return PrinterList(tuple(listed), default)


class CupsPrinting:
    """CUPS through its command-line client: ``lp`` to print, ``lpstat`` to list printers."""

    def __init__(
        self,
        *,
        lp: str | None = None,
        lpstat: str | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.lp = lp or shutil.which("lp")
        self.lpstat = lpstat or shutil.which("lpstat")
        self.environ = dict(environ) if environ is not None else None
        self.timeout = timeout

    @staticmethod
    def platform_has_it() -> bool:
        """Linux, macOS and the BSDs print through CUPS; Windows does not."""
        return sys.platform != "win32"

    def available(self) -> bool:
        return self.platform_has_it() and self.lp is not None and self.lpstat is not None

    def _env(self) -> dict[str, str]:
        env = dict(self.environ if self.environ is not None else os.environ)
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
        if getattr(sys, "frozen", False):
            # A PyInstaller bundle points LD_LIBRARY_PATH at its own libraries; the system's
            # lp must load the system's (PyInstaller keeps the original in *_ORIG).
            original = env.pop("LD_LIBRARY_PATH_ORIG", None)
            if original:
                env["LD_LIBRARY_PATH"] = original
            else:
                env.pop("LD_LIBRARY_PATH", None)
        return env

    def require(self) -> None:
        """PrintError, in words, when this computer cannot print through CUPS."""
        if not self.platform_has_it():
            raise PrintError(
                "This computer has no CUPS print service; print from the mesodesk window."
            )
        for name, tool in (("lp", self.lp), ("lpstat", self.lpstat)):
            if tool is None:
                raise PrintError(
                    f"The print service's command {name!r} is not installed (the CUPS client; "
                    "on Debian or Ubuntu: apt install cups-client)."
                )

    def _run(
        self, tool: str | None, name: str, args: Sequence[str], stdin: IO[bytes] | None = None
    ) -> subprocess.CompletedProcess[str]:
        self.require()
        assert tool is not None
        try:
            return subprocess.run(
                [tool, *args],
                env=self._env(),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=self.timeout,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PrintError(
                f"The print service did not answer within {self.timeout:.0f} seconds."
            ) from None
        except OSError as exc:
            raise PrintError(f"Cannot run {name}: {exc.strerror}.") from None

    def printers(self) -> PrinterList:
        """Every printer CUPS knows, its state, and the default one."""
        done = self._run(self.lpstat, "lpstat", ["-l", "-p", "-a", "-d"])
        text = done.stdout
        if done.returncode != 0:
            message = _words(done.stderr)
            if "no destinations added" not in message.lower():
                raise PrintError(_explained(f"The print service says: {message}"))
        found = parse_lpstat(text)
        # -e also lists the printers CUPS found on the network but has not set up yet.
        more = self._run(self.lpstat, "lpstat", ["-e"])
        if more.returncode == 0 and more.stdout.strip():
            names = {p.name for p in found.printers}
            extra = [
                Printer(name, state="available")
                for name in (line.strip() for line in more.stdout.splitlines())
                if name and name not in names and _printer_name_ok(name)
            ]
            if extra:
                merged = sorted((*found.printers, *extra), key=lambda p: p.name.casefold())
                found = PrinterList(tuple(merged), found.default)
        return found

    def default_printer(self) -> str | None:
        done = self._run(self.lpstat, "lpstat", ["-d"])
        match = re.search(r"system default destination: (\S+)", done.stdout)
        return match.group(1) if match else None

    def printer(self, name: str) -> Printer | None:
        done = self._run(self.lpstat, "lpstat", ["-l", "-p", name, "-a", name])
        if done.returncode != 0:
            return None
        return parse_lpstat(done.stdout).get(name)

    def submit(self, path: Path, options: PrintOptions) -> PrintJob:
        """Hand the PDF to CUPS as it is; the job it became, or PrintError in words."""
        options = options.validated()
        # The PDF goes through lp's standard input, not as a file name: lp would send the file's
        # name along as the document's name, and the app's file names carry the patient's name
        # (which the queue would show and CUPS would log). The job's title is the record number.
        # (Debian's CUPS 2.4.2 scheduler also crashes on a document name with spaces.)
        try:
            with open(path, "rb") as document:
                done = self._run(self.lp, "lp", options.lp_arguments(), stdin=document)
        except FileNotFoundError:
            raise PrintError("The file to print is not there any more.") from None
        if done.returncode != 0:
            raise PrintError(
                _explained(f"The print service refused the job: {_words(done.stderr)}")
            )
        match = re.search(r"request id is (\S+)-(\d+)", done.stdout)
        if match is None:
            raise PrintError(
                f"The print service answered something unexpected: {done.stdout.strip()[:200]!r}"
            )
        queue, number = match.group(1), match.group(2)
        return PrintJob(
            printer=queue,
            job_id=f"{queue}-{number}",
            copies=options.copies,
            warning=self._why_waiting(queue),
            pages=re.sub(r"\s+", "", options.pages or ""),
        )

    def _why_waiting(self, queue: str) -> str:
        """Said when the printer took the job but is stopped: nothing will come out yet."""
        try:
            state = self.printer(queue)
        except PrintError:
            return ""
        if state is None or state.state != "stopped":
            return ""
        reason = f" ({state.reason})" if state.reason else ""
        return (
            f'The printer "{queue}" is stopped{reason}: the job waits in its queue until the '
            "printer is resumed (cupsenable, or the system's printer settings)."
        )

    def sender(self, options: PrintOptions) -> Sender:
        """A function that prints one PDF with these options, under a title of its own."""

        def send(path: Path, title: str) -> PrintJob:
            return self.submit(path, _with_title(options, title))

        return send


def _with_title(options: PrintOptions, title: str) -> PrintOptions:
    return replace(options, title=title)
