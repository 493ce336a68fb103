"""The composition root: paths, database, services, QApplication and the main window."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from mesodesk import APP_NAME, __version__
from mesodesk.domain.errors import MesodeskError
from mesodesk.paths import resource_path
from mesodesk.services.registry import Services
from mesodesk.ui.main_window import MainWindow
from mesodesk.ui.settings import Settings


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


def _report_when_shown(window: MainWindow, app: QApplication, spawned_at: float) -> None:
    """Benchmark hook: print the seconds from the parent's spawn (its time.time(), passed in
    MESODESK_PROBE_STARTUP) to the first rows on screen, then quit."""

    def shown(_total: int) -> None:
        app.processEvents()
        print(f"shown {time.time() - spawned_at:.4f}", flush=True)
        app.quit()

    window.model.total_changed.connect(shown)


def run_gui(db: str | None = None) -> int:
    app = make_application()
    try:
        services = Services.open(db)
    except MesodeskError as exc:
        QMessageBox.critical(None, "mesodesk", str(exc))
        return 1
    window = MainWindow(services, Settings())
    window.show()
    probe = os.environ.get("MESODESK_PROBE_STARTUP")
    if probe:
        _report_when_shown(window, app, float(probe))
    else:
        window.offer_demo_if_empty()
    try:
        return app.exec()
    finally:
        services.close()
