"""Keeping the data safe from the app: backups (by hand, daily, on exit), restore, the start-up
integrity check with read-only mode, who is working at this workstation, and the audit view.

``install(host)`` (a feature, mesodesk.ui.context) adds the Tools menu entries and a
``SafetyController``; ``run_gui`` then calls ``start_automatic`` so that the automatic parts
(the start-up check, daily and exit backups) run only in the real application, not in every
test that makes a window.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.audit import Actor
from mesodesk.domain.errors import MesodeskError
from mesodesk.paths import default_backup_dir
from mesodesk.services.backup import (
    BackupInfo,
    BackupResult,
    CopyCancelled,
    RestoreResult,
)
from mesodesk.services.changes import Changes
from mesodesk.ui import settings as keys
from mesodesk.ui.context import Host
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import Job, JobRunner, Progress
from mesodesk.ui.labels import Formats
from mesodesk.ui.widgets import ask_yes_no

BACKUP_CHECK_MS = 60 * 60 * 1000  # look once an hour whether the daily backup is due
DAILY = timedelta(days=1)


def install(host: Host) -> SafetyController:
    controller = SafetyController(host)
    controller.add_menu(host.menu("tools"))
    return controller


def controller_of(window: QObject) -> SafetyController | None:
    found = window.findChild(SafetyController)
    return found if isinstance(found, SafetyController) else None


def _local(formats: Formats, info: Any) -> str:
    return formats.datetime(info.astimezone().replace(tzinfo=None))


def _size(size: int) -> str:
    return f"{size / 1_048_576:,.1f} MB" if size >= 1_048_576 else f"{size / 1024:,.0f} kB"


class _CloseGuard(QObject):
    """Holds the window's close until the exit backup is done."""

    def __init__(self, controller: SafetyController) -> None:
        super().__init__(controller)
        self.controller = controller

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self.controller.hold_close():
            if isinstance(event, QCloseEvent):
                event.ignore()
            return True
        return False


class SafetyController(QObject):
    def __init__(self, host: Host) -> None:
        window = host.window()
        super().__init__(window)
        self.setObjectName("safety")
        self.window: QWidget = window  # the parent of the dialogs, held open for the exit backup
        self.context = context = host.context
        self.services = context.services
        self.runner = context.runner
        # The integrity check and backups read the file through connections of their own, so
        # they run on a thread of their own: searches and saves go on meanwhile (a save waits
        # for the integrity check's verdict; a restore waits for nothing else to run).
        self.side = JobRunner(self)
        self.settings = context.settings
        self.automatic = False
        read_only = self.services.database.state().read_only
        self.busy = False  # a backup or restore is under way
        self.exit_backup_done = False
        self.closing = False
        self.audit_window: QWidget | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(BACKUP_CHECK_MS)
        self.timer.timeout.connect(self.backup_if_due)
        self.actions: dict[str, QAction] = {}

        self.status_progress = QProgressBar()
        self.status_progress.setMaximumWidth(160)
        self.status_progress.setRange(0, 100)
        self.status_progress.setFormat(self.tr("Backing up %p%"))
        self.status_progress.hide()
        self.actor_button = QPushButton()
        self.actor_button.setObjectName("working_as")
        self.actor_button.setFlat(True)
        self.actor_button.setToolTip(self.tr("Who the audit trail names for changes made here"))
        self.actor_button.clicked.connect(self.choose_actor)
        self.read_only_label = QLabel(self._read_only_text())
        self.read_only_label.setStyleSheet("color: #7a0010; font-weight: bold; padding: 0 6px;")
        self.read_only_label.hide()
        bar = host.statusBar()
        bar.addPermanentWidget(self.read_only_label)
        bar.addPermanentWidget(self.status_progress)
        bar.addPermanentWidget(self.actor_button)
        self.apply_settings()
        # Without the clinic key no change can be sealed in the audit trail: the records can be
        # read and printed, nothing can be changed (mesodesk.store.keys).
        if self.services.database.state().key_missing and not read_only:
            read_only = True
        context.read_only_changed.connect(self._read_only_changed)
        context.set_read_only(read_only)

    @property
    def read_only(self) -> bool:
        return self.context.read_only

    def _read_only_text(self) -> str:
        state = self.services.database.state()
        if state.read_only_reason:
            return self.tr("Read-only: the folder cannot be written to")
        if state.key_missing and not state.read_only:
            return self.tr("Read-only: the clinic key is missing")
        return self.tr("Read-only: the database is damaged")

    # -- settings ---------------------------------------------------------------------------------

    def backup_folder(self) -> Path:
        chosen = self.settings.get(keys.BACKUP_FOLDER)
        return Path(chosen) if chosen else default_backup_dir()

    def apply_settings(self) -> None:
        self.services.backups.folder = self.backup_folder()
        name = self.settings.get(keys.WORKING_AS).strip()
        practitioner = self.settings.get(keys.WORKING_AS_PRACTITIONER) or None
        actor = Actor(name, practitioner).cleaned() if name else Actor.system()
        self.context.set_actor(actor)
        self.actor_button.setText(arg(self.tr("Working as: %1"), actor.name))

    # -- menus ------------------------------------------------------------------------------------

    def add_menu(self, menu: Any) -> None:
        def add(key: str, text: str, slot: Any, shortcut: str | None = None) -> None:
            action = QAction(text, self.window)
            action.setObjectName(key)
            if shortcut:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.actions[key] = action

        add("backup_now", self.tr("&Back up now"), self.backup_now, "Ctrl+Shift+B")
        add("restore", self.tr("&Restore from backup…"), self.restore)
        add("backup_folder", self.tr("Backup &folder…"), self.choose_folder)
        menu.addSeparator()
        add("check", self.tr("&Check the database…"), self.check_now)
        add("audit", self.tr("&Audit trail…"), self.open_audit)
        menu.addSeparator()
        add("working_as", self.tr("&Working as…"), self.choose_actor)
        available = self.services.backups.available
        for key in ("backup_now", "restore", "backup_folder", "check"):
            self.actions[key].setEnabled(available)

    # -- things a test replaces -------------------------------------------------------------------

    def confirm(self, title: str, text: str) -> bool:
        return ask_yes_no(self.window, title, text)

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def ask_folder(self, current: Path) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(
            self.window, self.tr("Choose the backup folder"), str(current)
        )
        return Path(chosen) if chosen else None

    # -- start-up and automatic backups -----------------------------------------------------------

    def start_automatic(self, *, checked: bool = False, crashed_before: bool = False) -> None:
        """The app's automatic safety: the integrity check (unless it already ran), then a
        backup when the newest is over a day old or the last run crashed, one a day while the
        app is open, and one on exit after any change."""
        self.automatic = True
        self.crashed_before = crashed_before
        backups = self.services.backups
        backups.mark_clean()
        self.window.installEventFilter(_CloseGuard(self))
        notice = self.services.database.state().notice
        if notice:
            if not self.read_only:  # read-only: the red label beside says it, whole here below
                self.context.show_status(notice, 60_000)
            self.warn(self.tr("About this database"), notice)
        if not checked and backups.available and not self.read_only:
            database = self.services.database
            database.hold_writes()
            self.busy = True
            self.side.run(database.check_at_start).success(self._startup_checked)
        else:
            self._startup_checked([])

    def _startup_checked(self, problems: list[str]) -> None:
        if self.busy:
            self._idle()
            if not self.window.isVisible():
                return
        if problems:
            self.enter_read_only(problems)
            return
        if not self.services.backups.available or self.read_only:
            return
        self.timer.start()
        if self.crashed_before:
            self.backup_in_background("the last run ended without closing")
        elif self.services.backups.due(DAILY):
            self.backup_in_background("daily")

    def backup_if_due(self) -> None:
        if not self.busy and not self.read_only and self.services.backups.due(DAILY):
            self.backup_in_background("daily")

    def backup_in_background(self, reason: str) -> None:
        """A backup that does not interrupt: its progress shows in the status bar."""
        if self.busy or self.read_only:
            return
        job = self._start_backup("automatic, " + reason)
        self.status_progress.setValue(0)
        self.status_progress.show()
        job.progressed.connect(
            lambda done, total, _m: self.status_progress.setValue(done * 100 // (total or 1))
        )

        def done(result: Any) -> None:
            self._idle()
            self.context.show_status(arg(self.tr("Backed up to %1."), result.value.path.name), 8000)
            self.context.apply(result.changes)

        def failed(error: BaseException) -> None:
            self._idle()
            self.context.show_status(
                arg(self.tr("The automatic backup failed: %1"), _message(error)), 30_000
            )

        job.success(done).failure(failed)

    def _start_backup(self, reason: str) -> Job[Any]:
        self.busy = True
        backups = self.services.backups

        def work(progress: Progress) -> Any:
            return backups.back_up(
                reason=reason, progress=progress.report, cancelled=progress.cancelled
            )

        return self.side.run_long(work)

    def _idle(self) -> None:
        """A backup or restore ended: close the window if that was asked meanwhile."""
        self.busy = False
        self.status_progress.hide()
        if self.closing:
            self.window.close()

    # -- on exit ----------------------------------------------------------------------------------

    def hold_close(self) -> bool:
        """Whether the window must wait (an exit backup starts, or a backup is under way)."""
        if not self.automatic or self.exit_backup_done or self.read_only:
            return False
        if self.busy:
            self.closing = True
            return True
        if not self.services.backups.available or not self.services.backups.changed_since_backup():
            return False
        self.backup_with_dialog(on_exit=True)
        return True

    # -- by hand ----------------------------------------------------------------------------------

    def backup_now(self) -> None:
        if self.busy:
            self.context.show_status(
                self.tr("A check or a backup is under way; try again in a moment."), 5000
            )
            return
        self.backup_with_dialog(on_exit=False)

    def _progress_dialog(self, title: str, label: str, cancel: bool) -> ProgressDialog:
        dialog = ProgressDialog(title, label, cancel, self.window)
        dialog.show()
        return dialog

    def backup_with_dialog(self, *, on_exit: bool) -> None:
        title = self.tr("Backing up before closing") if on_exit else self.tr("Back up now")
        dialog = self._progress_dialog(title, self.tr("Copying the database…"), cancel=True)
        job = self._start_backup("on exit" if on_exit else "by hand")
        job.progressed.connect(lambda done, total, m: _show(dialog, done, total, self.tr(m)))
        dialog.cancelled.connect(job.cancel)

        def done(result: Any) -> None:
            dialog.done_with()
            backup: BackupResult = result.value
            self.context.apply(result.changes)
            if on_exit:
                self.exit_backup_done = True
                self.busy = False
                self.window.close()
                return
            self._idle()
            self.inform(
                self.tr("Backup done"),
                arg(
                    self.tr(
                        "The database was backed up and the copy checked:\n%1\n\n%2 patients, %3."
                    ),
                    str(backup.path),
                    f"{backup.patients:,}",
                    _size(backup.size),
                ),
            )

        def failed(error: BaseException) -> None:
            dialog.done_with()
            self.busy = False
            self.status_progress.hide()
            if isinstance(error, CopyCancelled):
                if on_exit:  # the person chose to close without it
                    self.exit_backup_done = True
                    self.window.close()
                else:
                    self.context.show_status(
                        self.tr("The backup was cancelled; nothing was kept."), 8000
                    )
                return
            if on_exit:
                if self.confirm(
                    self.tr("Backup failed"),
                    arg(
                        self.tr("The backup before closing failed: %1\n\nClose mesodesk anyway?"),
                        _message(error),
                    ),
                ):
                    self.exit_backup_done = True
                    self.window.close()
                return
            self.warn(self.tr("Backup failed"), _message(error))

        job.success(done).failure(failed)

    def choose_folder(self) -> None:
        chosen = self.ask_folder(self.backup_folder())
        if chosen is None:
            return
        self.settings.set(keys.BACKUP_FOLDER, str(chosen))
        self.settings.sync()
        self.apply_settings()
        self.context.show_status(arg(self.tr("Backups now go to %1."), str(chosen)), 8000)

    # -- restore ----------------------------------------------------------------------------------

    def restore(self) -> None:
        if self.busy:
            self.context.show_status(
                self.tr("A check or a backup is under way; try again in a moment."), 5000
            )
            return
        chosen = RestoreDialog.ask(
            self.window, self.services.backups.backups(), self.context.formats, self.backup_folder()
        )
        if chosen is None:
            return
        backups = self.services.backups
        self.runner.run(lambda: backups.inspect(chosen)).success(self._confirm_restore).failure(
            lambda error: self.warn(self.tr("This backup cannot be restored"), _message(error))
        )

    def _confirm_restore(self, contents: Any) -> None:
        """Show what the backup holds (clinic, newest entry, records, its trail's head); for
        another clinic's backup, its name must be typed."""
        confirmed = RestoreConfirmDialog.ask(
            self.window, contents, self.context.formats, self.backup_folder()
        )
        if confirmed is None:
            return
        self.busy = True
        dialog = self._progress_dialog(
            self.tr("Restore from backup"), self.tr("Checking the backup…"), cancel=False
        )
        backups = self.services.backups
        path = contents.path
        job = self.runner.run_long(
            lambda progress: backups.restore(
                path, progress=progress.report, confirmed_name=confirmed or None
            )
        )
        job.progressed.connect(lambda done, total, m: _show(dialog, done, total, self.tr(m)))

        def done(result: Any) -> None:
            dialog.done_with()
            restored: RestoreResult = result.value
            self._after_restore(result.changes)
            self.inform(
                self.tr("Restore done"),
                arg(
                    self.tr(
                        "The data of %1 are back (%2 patients).\n\nThe data from before the "
                        "restore were kept in %3."
                    ),
                    restored.source.path.name,
                    f"{restored.source.patients:,}",
                    str(restored.saved_before),
                ),
            )
            self._idle()

        def failed(error: BaseException) -> None:
            dialog.done_with()
            self.warn(self.tr("Restore failed"), _message(error))
            self._idle()

        job.success(done).failure(failed)

    def _after_restore(self, changes: Changes) -> None:
        """Show the restored data: close each patient's tab (the patient may not exist in the
        backup) and the other views, then let every view refresh."""
        self.context.close_views()
        if self.read_only:
            self.context.set_read_only(False)
            if self.automatic:
                self.timer.start()
        self.services.backups.mark_clean()
        self.context.apply(changes)
        self.context.show_status(self.tr("Data restored from the backup."), 8000)

    # -- read-only mode ---------------------------------------------------------------------------

    def enter_read_only(self, problems: list[str]) -> None:
        """The database is damaged (and already reopened read-only, by the job that found
        it): say so, and offer nothing that writes."""
        self.timer.stop()
        self.read_only_label.setText(self.tr("Read-only: the database is damaged"))
        self.context.set_read_only(True)
        self.warn(
            self.tr("The database is damaged"),
            self.services.database.damaged_message(problems, self.backup_folder()),
        )

    def _read_only_changed(self, read_only: bool) -> None:
        """The window and each view disable what writes themselves (AppContext.read_only_changed);
        here, the red label and the backup that a read-only database does not need."""
        self.read_only_label.setVisible(read_only)
        if "backup_now" in self.actions:
            self.actions["backup_now"].setEnabled(not read_only and self.services.backups.available)

    # -- checks, audit, who -----------------------------------------------------------------------

    def check_now(self) -> None:
        dialog = self._progress_dialog(
            self.tr("Check the database"), self.tr("Checking…"), cancel=False
        )
        database = self.services.database
        self.busy = True
        folders = [self.backup_folder()]
        job = self.side.run_long(
            lambda progress: database.check(full=True, progress=progress.report, folders=folders)
        )
        job.progressed.connect(lambda done, total, m: _show(dialog, done, total, self.tr(m)))

        def done(report: Any) -> None:
            dialog.done_with()
            self._idle()
            lines = [("✓ " if f.ok else "✗ ") + f"{f.name}: {f.message}" for f in report.findings]
            if report.ok:
                self.inform(
                    self.tr("The database is sound"),
                    self.tr("No problem found.") + "\n\n" + "\n".join(lines),
                )
            elif report.only_the_key_is_missing:  # the remedy is the key, not a restore
                self.warn(
                    self.tr("Cannot verify without the clinic key"),
                    "\n".join(lines)
                    + "\n\n"
                    + self.tr(
                        "Bring this clinic's key to this computer (mesodesk key import FILE; "
                        "README: Moving to a new computer), then check again. A restore would "
                        "not help: a backup's trail needs the same key."
                    ),
                )
            else:
                self.warn(
                    self.tr("Problems found"),
                    "\n".join(lines)
                    + "\n\n"
                    + self.tr("Restore the database from a backup (Tools > Restore from backup…)."),
                )

        def failed(error: BaseException) -> None:
            dialog.done_with()
            self._idle()
            self.warn(self.tr("Check the database"), _message(error))

        job.success(done).failure(failed)

    def open_audit(self) -> None:
        from mesodesk.ui.audit_view import AuditWindow

        if self.audit_window is None:
            self.audit_window = AuditWindow(
                self.services, self.runner, self.context.formats, self.window
            )
            self.context.changes_applied.connect(self._audit_changed)
        self.audit_window.show()
        self.audit_window.raise_()
        self.audit_window.activateWindow()

    def _audit_changed(self, _changes: Changes) -> None:
        # every change to a record adds an entry, so any change refreshes an open view
        if self.audit_window is not None and self.audit_window.isVisible():
            self.audit_window.refresh()  # type: ignore[attr-defined]

    def choose_actor(self) -> None:
        catalogue = getattr(self.services, "catalogue", None)
        practitioners: list[Any] = []
        if catalogue is not None:
            try:
                practitioners = list(catalogue.practitioners(active_only=True))
            except MesodeskError:
                practitioners = []
        actor = WorkingAsDialog.ask(self.window, self.context.actor, practitioners)
        if actor is None:
            return
        self.settings.set(keys.WORKING_AS, actor.name)
        self.settings.set(keys.WORKING_AS_PRACTITIONER, actor.practitioner_id or 0)
        self.settings.sync()
        self.apply_settings()


def _show(dialog: ProgressDialog, done: int, total: int, message: str) -> None:
    dialog.bar.setMaximum(max(total, 1))
    dialog.bar.setValue(min(done, max(total, 1)))
    if message:
        dialog.label.setText(message)


class ProgressDialog(QDialog):
    """A window-modal progress bar. Unlike QProgressDialog its updates never run the event
    loop, so a job's result cannot arrive in the middle of one."""

    cancelled = Signal()

    def __init__(self, title: str, label: str, cancel: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(440)
        self.label = QLabel(label)
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.cancel_button: QPushButton | None = None
        if cancel:
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
            buttons.rejected.connect(self._cancel)
            layout.addWidget(buttons)
            self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.finished_ok = False

    def _cancel(self) -> None:
        self.label.setText(self.tr("Cancelling…"))
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(False)
        self.cancelled.emit()

    def reject(self) -> None:
        # Escape or the close button: cancel what can be cancelled, never just hide the work
        if self.cancel_button is not None and not self.finished_ok:
            self._cancel()

    def done_with(self) -> None:
        self.finished_ok = True
        self.hide()
        self.deleteLater()


def _message(error: BaseException) -> str:
    if isinstance(error, MesodeskError):
        return str(error)
    # the type only: an exception's text may hold a record's values
    return type(error).__name__


class RestoreDialog(QDialog):
    """Choose a backup: those in the backup folder, newest first, or any other file."""

    def __init__(
        self,
        backups: list[BackupInfo],
        formats: Formats,
        folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Restore from backup"))
        self.backups = backups
        self.folder = folder
        self.chosen: Path | None = None
        intro = QLabel(
            self.tr(
                "Choose the backup to restore. Everything in the database now is replaced by "
                "the backup's contents. A backup of the current data is made first, so a "
                "restore can be undone."
            )
        )
        intro.setWordWrap(True)
        where = QLabel(arg(self.tr("Backups in %1"), str(folder)))
        where.setWordWrap(True)
        where.setStyleSheet("color: #555555;")
        self.table = QTableWidget(len(backups), 3)
        self.table.setObjectName("backups")
        self.table.setHorizontalHeaderLabels([self.tr("Taken"), self.tr("Kind"), self.tr("Size")])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, backup in enumerate(backups):
            kind = self.tr("Before a restore") if backup.before_restore else self.tr("Backup")
            cells = (_local(formats, backup.taken_at), kind, _size(backup.size))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(backup.path.name)
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.empty = QLabel(self.tr("There are no backups in this folder yet."))
        self.empty.setVisible(not backups)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.accept_selected())

        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton(
            self.tr("Restore…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.restore_button.setEnabled(False)
        self.other_button = buttons.addButton(
            self.tr("Other file…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button.clicked.connect(self.accept_selected)
        self.other_button.clicked.connect(self.choose_other)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(where)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.resize(560, 420)
        if backups:
            self.table.selectRow(0)

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def accept_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        self.chosen = self.backups[rows[0].row()].path
        self.accept()

    def other_file(self) -> Path | None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Choose a backup"),
            str(self.folder),
            self.tr("mesodesk backups (*.sqlite3 *.db);;All files (*)"),
        )
        return Path(chosen) if chosen else None

    def choose_other(self) -> None:
        chosen = self.other_file()
        if chosen is not None:
            self.chosen = chosen
            self.accept()

    @classmethod
    def ask(
        cls, parent: QWidget, backups: list[BackupInfo], formats: Formats, folder: Path
    ) -> Path | None:
        """The backup chosen, or None when cancelled."""
        dialog = cls(backups, formats, folder, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.chosen
        return None


# The records a person recognises first, then the rest (settings, the trail, caches)
FIRST_SHOWN = (
    "patient",
    "course",
    "treatment_session",
    "blend_item",
    "side_effect",
    "side_effect_lot",
    "outcome_assessment",
    "product",
    "product_lot",
    "ingredient",
    "practitioner",
)


class RestoreConfirmDialog(QDialog):
    """What a restore brings back, before anything is replaced: the backup's clinic, when it
    was taken, its newest audit entry, its records table by table and its trail's head, and
    whatever of the backup is left behind. Another clinic's backup is restored only once its
    name is typed."""

    def __init__(
        self, contents: Any, formats: Formats, folder: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Restore from backup"))
        self.contents = contents
        intro = QLabel(
            arg(
                self.tr(
                    "Everything in this database is replaced by the backup's contents. The current "
                    "data are backed up first, to %1, so this can be undone."
                ),
                str(folder),
            )
        )
        intro.setWordWrap(True)
        form = self._facts(contents, formats)
        self._make_counts(contents)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        for item in contents.not_restored:
            left = QLabel(arg(self.tr("Left behind (not restored): %1"), item))
            left.setWordWrap(True)
            left.setStyleSheet("color: #7a0010;")
            layout.addWidget(left)
        self.name: QLineEdit | None = None
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton(
            self.tr("Restore"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        if contents.other_clinic:
            warning = QLabel(
                arg(
                    self.tr(
                        "This is a backup of another clinic (%1), not of %2. Type the backup's "
                        "clinic name to confirm that this database becomes that clinic's:"
                    ),
                    contents.display_name,
                    contents.current_name or self.tr("the clinic in this database"),
                )
            )
            warning.setWordWrap(True)
            warning.setStyleSheet("color: #7a0010; font-weight: bold;")
            self.name = QLineEdit()
            self.name.setObjectName("clinic_name")
            self.name.setPlaceholderText(contents.display_name)
            self.name.textChanged.connect(self._typed)
            layout.addWidget(warning)
            layout.addWidget(self.name)
            self.restore_button.setEnabled(False)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.resize(540, min(620, self.sizeHint().height()))

    def _facts(self, contents: Any, formats: Formats) -> QFormLayout:
        """The backup's clinic, its file, when it was taken, its newest entry, its trail's head."""
        form = QFormLayout()
        clinic = QLabel(contents.display_name)
        clinic.setObjectName("clinic")
        clinic.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(self.tr("Clinic:"), clinic)
        form.addRow(self.tr("Backup:"), _plain_label(contents.path.name))
        if contents.taken_at is not None:
            taken = _local(formats, contents.taken_at)
        elif contents.file_changed_at is not None:  # a backup renamed, or made with --out
            taken = arg(
                self.tr("not in its name; the file was last changed %1"),
                _local(formats, contents.file_changed_at),
            )
        else:
            taken = self.tr("unknown")
        form.addRow(self.tr("Taken:"), QLabel(taken))
        newest = (
            _local(formats, contents.newest_entry_at)
            if contents.newest_entry_at
            else self.tr("no entry")
        )
        form.addRow(self.tr("Newest entry:"), QLabel(newest))
        head = arg(self.tr("entry %1, seal %2"), f"{contents.head_seq:,}", contents.head_hash[:16])
        form.addRow(self.tr("Audit trail:"), QLabel(head))
        return form

    def _make_counts(self, contents: Any) -> None:
        """The backup's records, table by table: those a person recognises first."""
        counts = sorted(
            ((t, n) for t, n in contents.rows.items() if n),
            key=lambda item: (
                FIRST_SHOWN.index(item[0]) if item[0] in FIRST_SHOWN else len(FIRST_SHOWN),
                item[0],
            ),
        )
        self.table = QTableWidget(len(counts), 2)
        self.table.setObjectName("counts")
        self.table.setHorizontalHeaderLabels([self.tr("Records"), self.tr("Count")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, (table, count) in enumerate(counts):
            self.table.setItem(row, 0, QTableWidgetItem(table.replace("_", " ")))
            item = QTableWidgetItem(f"{count:,}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 1, item)
        self.table.setMinimumHeight(120)

    def _typed(self, text: str) -> None:
        self.restore_button.setEnabled(self.contents.confirms(text))

    def typed(self) -> str:
        return self.name.text() if self.name is not None else ""

    @classmethod
    def ask(cls, parent: QWidget, contents: Any, formats: Formats, folder: Path) -> str | None:
        """None when cancelled; else the clinic name typed ("" when none was needed)."""
        dialog = cls(contents, formats, folder, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.typed()
        return None


def _plain_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class WorkingAsDialog(QDialog):
    """Who works at this workstation: a practitioner from the list, or a name typed in."""

    def __init__(
        self, current: Actor, practitioners: list[Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Working as"))
        intro = QLabel(
            self.tr(
                "The audit trail records who made each change. Choose who is working at this "
                "computer, or type a name. It stays chosen until it is changed."
            )
        )
        intro.setWordWrap(True)
        self.who = QComboBox()
        self.who.setObjectName("who")
        self.who.setEditable(True)
        self.who.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.who.setMinimumWidth(320)
        self.practitioners = {p.name: p.id for p in practitioners}
        for p in practitioners:
            self.who.addItem(p.name, p.id)
        self.who.setCurrentText(current.name)
        line = self.who.lineEdit()
        if line is not None:
            line.setMaxLength(120)
        form = QFormLayout()
        form.addRow(self.tr("Working as:"), self.who)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def actor(self) -> Actor:
        name = " ".join(self.who.currentText().split())
        return Actor(name, self.practitioners.get(name)).cleaned()

    @classmethod
    def ask(cls, parent: QWidget, current: Actor, practitioners: list[Any]) -> Actor | None:
        dialog = cls(current, practitioners, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.actor()
        return None
