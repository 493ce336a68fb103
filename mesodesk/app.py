"""The composition root: paths, database, services, QApplication and the main window."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from mesodesk import APP_NAME, __version__, logs
from mesodesk.domain.errors import MesodeskError
from mesodesk.paths import resource_path
from mesodesk.store.target import Target, resolve_target
from mesodesk.ui.i18n import arg
from mesodesk.ui.instance import InstanceLock
from mesodesk.ui.settings import Settings

if TYPE_CHECKING:
    from mesodesk.ui.quick_start import QuickWindow


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("mesodesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    icon = resource_path("icons", "mesodesk.png")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    _install_translations(app)
    return app


def _install_translations(app: QApplication) -> None:
    """Qt's own strings and mesodesk's, in the workstation's language when a file exists."""
    locale = QLocale(os.environ.get("MESODESK_LANG", QLocale.system().name()))
    for name, folder in (
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        ("mesodesk", str(resource_path("translations"))),
    ):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder):
            app.installTranslator(translator)


def _probe(label: str, spawned_at: float) -> None:
    """Benchmark hook (MESODESK_PROBE_STARTUP holds the parent's time.time() at spawn): print the
    seconds from the spawn to a moment of start-up."""
    print(f"{label} {time.time() - spawned_at:.4f}", flush=True)


@dataclass
class StartUp:
    """One start of the GUI: ``--db`` resolved once (mesodesk.store.target, no SQLAlchemy for a
    plain file) and the instance lock taken once, both handed to the quick first page and to the
    full start-up that follows it."""

    requested: str | None  # --db as typed (None: MESODESK_DB, else the default file)
    target: Target
    lock: InstanceLock | None = None
    unlocked: bool = False  # the folder cannot be written to: no lock, the file opens read-only

    @classmethod
    def resolve(cls, db: str | None) -> StartUp:
        return cls(db, resolve_target(db))

    @property
    def path(self) -> Path | None:
        """The database file (None for a server database)."""
        return self.target.path if self.target.is_sqlite else None

    def confirm_new(self) -> bool:
        """A file named that does not exist is made only when the person says so."""
        path = self.path
        return path is None or path.exists() or _confirm_new(path, self.requested)

    def take_lock(self) -> bool:
        """One mesodesk per database file. False when another holds it (the person was told)."""
        path = self.path
        if path is None:
            return True
        lock = InstanceLock.for_database(path)
        if lock.acquire():
            self.lock = lock
            return True
        if _read_only_there(lock, path):
            self.unlocked = True
            return True
        QMessageBox.information(None, "mesodesk", lock.refusal())
        return False

    @property
    def took_over(self) -> bool:
        """The lock was left by a mesodesk that did not close (it crashed)."""
        return self.lock is not None and self.lock.took_over

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()


def _first_paint(app: QApplication, path: Path | None) -> QuickWindow | None:
    """Show the first page of patients before the rest of mesodesk loads (see ui/quick_start)."""
    if path is None or os.environ.get("MESODESK_NO_QUICK_START"):
        return None
    from mesodesk.store.quick import first_page
    from mesodesk.store.safety import refuse_network_fs
    from mesodesk.ui import settings as keys
    from mesodesk.ui.labels import Formats
    from mesodesk.ui.quick_start import QuickWindow

    settings = Settings()
    if settings.get(keys.SHOW_ARCHIVED):
        return None
    try:
        refuse_network_fs(path)
    except MesodeskError:
        return None
    started = first_page(path)
    if started is None:
        return None
    window = QuickWindow(
        started.page, Formats(started.date_order, started.currency), settings, str(path)
    )
    if not window.matches_first_order():
        window.deleteLater()
        return None
    window.show()
    app.processEvents()
    return window


def _confirm_new(path: Path, db: str | None) -> bool:
    """A database named on the command line (or in MESODESK_DB) that does not exist is made
    only when the person says so: a mistyped name must not become a new, empty clinic. The
    default database is made on first start without asking."""
    if db is None and not os.environ.get("MESODESK_DB"):
        return True
    tr = QApplication.translate
    answer = QMessageBox.question(
        None,
        "mesodesk",
        arg(
            tr(
                "app",
                "There is no database at %1.\n\nCreate a new, empty database there? (If you "
                "meant an existing one, check its name.)",
            ),
            str(path),
        ),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def _read_only_there(lock: InstanceLock, path: Path) -> bool:
    """The lock file cannot be made because the database's folder cannot be written to (a
    read-only disk, no permission): this mesodesk cannot write the database either, so it
    opens it read-only and says why (README: a database in such a folder is not damaged)."""
    from PySide6.QtCore import QLockFile

    from mesodesk.store.safety import unwritable_folder

    return lock.error == QLockFile.LockError.PermissionError and bool(unwritable_folder(path))


def run_gui(db: str | None = None) -> int:
    from mesodesk.files import private_umask

    private_umask()  # the database, its log, backups and exports: owner-only
    app = make_application()
    from mesodesk.ui import crash

    crash.install()
    probe = os.environ.get("MESODESK_PROBE_STARTUP")
    try:
        start = StartUp.resolve(db)
    except MesodeskError as exc:
        QMessageBox.critical(None, "mesodesk", str(exc))
        return 1
    if not start.confirm_new() or not start.take_lock():
        return 1
    path = start.path
    quick = _first_paint(app, path) if path is not None and path.exists() else None
    if quick is not None and probe:
        _probe("shown", float(probe))
    # the log starts once the first page shows: logging.handlers is a few imports more
    logs.setup()
    logs.started("gui")

    # The rest of mesodesk: about a second of imports, behind the first page.
    from mesodesk.services.health import open_for_app
    from mesodesk.ui import safety
    from mesodesk.ui.main_window import MainWindow

    try:
        opened = open_for_app(start.target)
    except MesodeskError as exc:
        if quick is not None:
            quick.close()
        QMessageBox.critical(None, "mesodesk", str(exc))
        start.release()
        return 1
    services = opened.services
    window = MainWindow(services, Settings())
    if quick is not None:
        # The main window takes the first window's place, with whatever was typed meanwhile.
        window.list_view.search.setText(quick.typed)
        window.list_view.search.setCursorPosition(len(quick.typed))
    window.show()
    if quick is not None:
        quick.close()
        quick.deleteLater()
    if probe:

        def ready(_total: int) -> None:
            app.processEvents()
            if quick is None:
                _probe("shown", float(probe))
            _probe("ready", float(probe))
            app.quit()

        window.model.total_changed.connect(ready)
    else:
        controller = safety.controller_of(window)
        if controller is not None:
            controller.start_automatic(checked=opened.checked, crashed_before=start.took_over)
        window.restore_records()
        window.offer_demo_if_empty()
    try:
        return app.exec()
    finally:
        services.close()
        start.release()


def run_smoke() -> int:
    """`mesodesk --smoke`: on a temporary database, run the migrations, load a small demo clinic,
    open the main window offscreen, open a patient, draw a chart, build a PDF summary and open it
    with QtPdf. Exit 0 when every step worked; otherwise say which step failed and exit 1."""
    import tempfile
    from pathlib import Path

    from mesodesk.services.registry import Services
    from mesodesk.ui.main_window import MainWindow

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="mesodesk-smoke-") as folder:
        os.environ["MESODESK_HOME"] = folder
        step = "starting"
        try:
            step = "creating and migrating a database"
            services = Services.open(Path(folder) / "smoke.sqlite3")
            step = "loading a demo clinic"
            services.demo.generate(40, 1)
            step = "opening the main window"
            app = make_application()
            window = MainWindow(services, Settings())
            window.show()
            _wait(app, lambda: window.model.total == 40, "the patient list to show 40 patients")
            step = "opening a patient"
            patient_id = window.model.patient_id(0)
            assert patient_id is not None
            view = window.open_patient(patient_id)
            _wait(app, lambda: view.record is not None, "the patient's record to load")
            step = "drawing a chart"
            from mesodesk.services.summary import summary_charts

            record = view.record
            assert record is not None
            figures = summary_charts(record, services.clock.today())
            if not figures:
                raise RuntimeError("no chart was drawn")
            for suffix in ("png", "svg", "pdf"):  # the export formats (each its own backend)
                figures[0].savefig(Path(folder) / f"chart.{suffix}", dpi=80)
            step = "laying out every script the PDF prints (its fonts, HarfBuzz, bidi)"
            from mesodesk.reports.text import self_check

            self_check()
            step = "building a PDF summary"
            out = Path(folder) / "summary.pdf"
            written = services.summaries.write(patient_id, out, services.summaries.options())
            step = "opening the PDF with QtPdf"
            from PySide6.QtPdf import QPdfDocument

            document = QPdfDocument()
            if document.load(str(out)) != QPdfDocument.Error.None_:
                raise RuntimeError(f"QtPdf could not load the summary ({document.error()})")
            if document.pageCount() != written.pages:
                raise RuntimeError(f"QtPdf sees {document.pageCount()} pages, not {written.pages}")
            window.runner.wait(10_000)
            window.close()
            services.close()
        except Exception as exc:  # the smoke test reports any failure, with its step
            print(f"smoke: FAILED while {step}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print(
        f"smoke: OK (mesodesk {__version__}): window, patient record, chart, "
        f"PDF of {written.pages} page(s)"
    )
    return 0


def _wait(app: QApplication, condition: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds:g} s for {what}")
        app.processEvents()
        time.sleep(0.01)
