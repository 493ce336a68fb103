"""A private CUPS scheduler with a cups-pdf printer, for the printing tests and the benchmark.

Nothing needs to be running beforehand, and nothing of the machine's own CUPS is used or
changed: the scheduler gets its own configuration, spool, logs and Unix socket in a temporary
folder, and clients reach it through ``CUPS_SERVER`` (the socket's path). Its printer is a real
CUPS queue with Debian's cups-pdf backend, which runs the job through CUPS's filters and
Ghostscript and writes the PDF that would have gone to paper.

Two things cups-pdf insists on, and how they are met:
- it runs only as root (it writes each PDF as the job's owner), so the scheduler runs as root;
  the filters run as the ``lp`` user, so the folder is readable by all and the scheduler's
  temporary folder belongs to lp;
- it reads its settings from ``/etc/cups/cups-pdf.conf``, a path built into it. The scheduler
  therefore starts in a mount namespace of its own (``unshare --mount``) in which the private
  configuration folder is mounted over ``/etc/cups``: the backend reads the private settings,
  and the machine's ``/etc/cups`` is never touched.

A machine without the Debian packages (cups, printer-driver-cups-pdf, cups-client) fails here
with a message that says so; ``./dev`` installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

QUEUE = "mesodesk-pdf"
CUPSD = Path("/usr/sbin/cupsd")
BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")


def point_libcups_at(socket: Path | None) -> None:
    """Point this thread's libcups (what Qt's print support uses) at a scheduler; None: back to
    CUPS_SERVER or the system's. libcups reads CUPS_SERVER once per thread, so a test that sets
    it after Qt has asked for printers needs this."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("cups")
    if name is None:
        return
    libcups = ctypes.CDLL(name)
    libcups.cupsSetServer.argtypes = [ctypes.c_char_p]
    libcups.cupsSetServer(str(socket).encode() if socket is not None else None)


class CupsUnavailable(RuntimeError):
    """The machine cannot run the private print server; the message says what is missing."""


def missing(cupsd: Path = CUPSD, backend: Path = BACKEND, ppd: Path = PPD) -> list[str]:
    """What this machine lacks to run the private print server, each with its package."""
    lacking = []
    if not cupsd.exists():
        lacking.append(f"{cupsd} (Debian package cups)")
    if not backend.exists() or not ppd.exists():
        lacking.append(f"{backend} and {ppd} (Debian package printer-driver-cups-pdf)")
    for tool in ("lp", "lpstat", "lpadmin"):
        if shutil.which(tool) is None:
            lacking.append(f"{tool} (Debian package cups-client)")
    if shutil.which("gs") is None:
        lacking.append("gs (Debian package ghostscript, which cups-pdf needs)")
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            lacking.append(f"{tool} (Debian package util-linux / mount)")
    return lacking


class PrivateCups:
    """``with PrivateCups() as cups:`` a scheduler with the cups-pdf queue ``cups.queue``."""

    def __init__(self, queue: str = QUEUE) -> None:
        self.queue = queue
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # -- where things are -------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        if self.root is None:
            raise RuntimeError("the print server is not started")
        return self.root

    @property
    def socket(self) -> Path:
        return self.folder / "cups.sock"

    @property
    def out(self) -> Path:
        """Where cups-pdf writes what it printed."""
        return self.folder / "out"

    @property
    def env(self) -> dict[str, str]:
        return {"CUPS_SERVER": str(self.socket)}

    def error_log(self) -> str:
        try:
            return (self.folder / "log" / "error_log").read_text(errors="replace")
        except OSError:
            return ""

    # -- start and stop ---------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> PrivateCups:
        lacking = missing()
        if lacking:
            raise CupsUnavailable(
                "The printing tests need a real print server, and this machine lacks: "
                + "; ".join(lacking)
                + ". `./dev test` installs them (apt-get install cups printer-driver-cups-pdf "
                "cups-client)."
            )
        if os.geteuid() != 0:
            raise CupsUnavailable(
                "The printing tests start a private CUPS with the cups-pdf printer, which "
                "runs only as root (it writes each PDF as the job's owner). Run the tests as "
                "root, as CI does."
            )
        # Short (a Unix socket's path has ~100 characters) and readable by the lp user.
        root = Path(tempfile.mkdtemp(prefix="mdcups-", dir="/tmp"))
        self.root = root
        root.chmod(0o755)
        etc = root / "etc"
        for sub in ("etc", "etc/ppd", "log", "out", "pdfspool"):
            (root / sub).mkdir(exist_ok=True)
        temp = root / "tmp"  # cupsd needs it to exist, owned by its filters' user
        temp.mkdir()
        shutil.chown(temp, "root", "lp")
        temp.chmod(0o1770)
        (etc / "cups-files.conf").write_text(
            f"ServerRoot {etc}\n"
            f"RequestRoot {root / 'spool'}\n"
            f"TempDir {temp}\n"
            f"CacheDir {root / 'cache'}\n"
            f"StateDir {root / 'state'}\n"
            f"Printcap {root / 'state' / 'printcap'}\n"
            f"AccessLog {root / 'log' / 'access_log'}\n"
            f"ErrorLog {root / 'log' / 'error_log'}\n"
            f"PageLog {root / 'log' / 'page_log'}\n"
            "FileDevice No\n"
        )
        (etc / "cupsd.conf").write_text(
            f"Listen {root / 'cups.sock'}\n"
            "LogLevel info\n"
            "Browsing No\n"
            "BrowseLocalProtocols none\n"
            "WebInterface No\n"
            "DefaultAuthType None\n"
            # a job that fails is aborted; it must not stop the queue for the next test
            "ErrorPolicy abort-job\n"
            "PreserveJobHistory Yes\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n"
            "  JobPrivateAccess all\n  JobPrivateValues none\n"
            "  SubscriptionPrivateAccess all\n  SubscriptionPrivateValues none\n"
            "  <Limit All>\n    Order allow,deny\n    Allow all\n  </Limit>\n"
            "</Policy>\n"
        )
        (etc / "cups-pdf.conf").write_text(
            f"Out {root / 'out'}\n"
            f"AnonDirName {root / 'out'}\n"
            f"Spool {root / 'pdfspool'}\n"
            f"Log {root / 'log'}\n"
            f"GSTmp {temp}\n"
            "LogType 1\n"
        )
        script = (
            f'mount --bind "{etc}" /etc/cups && exec "{CUPSD}" -f '
            f'-c "{etc / "cupsd.conf"}" -s "{etc / "cups-files.conf"}"'
        )
        # setpriv: the scheduler gets SIGTERM if the tests die without stopping it (kill -9),
        # rather than living on in its namespace.
        guard = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []
        self.process = subprocess.Popen(
            [*guard, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(root / "log" / "stderr").open("wb"),
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                said = (root / "log" / "stderr").read_text(errors="replace")[-600:]
                self.stop()
                raise CupsUnavailable(
                    "The private CUPS scheduler did not start: "
                    + (said.strip() or self._log_errors() or "no message")
                    + (
                        " (it starts in a mount namespace of its own: `unshare --mount` "
                        "needs root with CAP_SYS_ADMIN)"
                        if "unshare" in said
                        else ""
                    )
                )
            time.sleep(0.05)
        self.add_queue(self.queue)
        self.lp_tool("lpadmin", "-d", self.queue)
        return self

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        done = subprocess.run(
            ["lpstat", "-r"], env=self.client_env(), capture_output=True, text=True, check=False
        )
        return "is running" in done.stdout

    def _log_errors(self) -> str:
        return " ".join(line for line in self.error_log().splitlines() if line.startswith("E "))

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PrivateCups:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- using it ---------------------------------------------------------------------------

    def client_env(self) -> dict[str, str]:
        return dict(os.environ, LC_ALL="C", **self.env)

    def lp_tool(self, *argv: str) -> str:
        done = subprocess.run(
            list(argv), env=self.client_env(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def add_queue(self, name: str, *, description: str = "") -> None:
        args = ["lpadmin", "-p", name, "-E", "-v", "cups-pdf:/", "-P", str(PPD)]
        if description:
            args += ["-D", description]
        self.lp_tool(*args)

    def completed_jobs(self) -> set[str]:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(
                f"the private CUPS scheduler stopped (status {self.process.returncode}): "
                + (self._log_errors() or self.error_log()[-400:])
            )
        out = self.lp_tool("lpstat", "-W", "completed", "-o")
        return {line.split()[0] for line in out.splitlines() if line.strip()}

    def wait_for_job(self, job_id: str, timeout: float = 60.0) -> Path:
        """The PDF cups-pdf wrote for this job, once CUPS says the job is completed."""
        number = job_id.rsplit("-", 1)[1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if job_id in self.completed_jobs():
                made = [
                    p
                    for p in self.out.glob("*.pdf")
                    if p.stem.endswith(f"job_{number}") or f"job_{number}-" in p.stem
                ]
                if made:
                    return made[0]
            time.sleep(0.1)
        raise AssertionError(
            f"job {job_id} did not come out within {timeout:.0f} s; the scheduler says: "
            + (self._log_errors() or "nothing")
        )
