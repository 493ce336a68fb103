"""Backups, restore, read-only mode, who is working, and the one-instance lock, in the app."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from mesodesk.domain.audit import Actor, AuditQuery
from mesodesk.services.backup import list_backups
from mesodesk.services.registry import Services
from mesodesk.ui import safety
from mesodesk.ui import settings as keys
from mesodesk.ui.instance import InstanceLock
from mesodesk.ui.safety import (
    RestoreConfirmDialog,
    RestoreDialog,
    SafetyController,
    WorkingAsDialog,
)
from tests.conftest import patient_input
from tests.gui.conftest import wait_jobs
from tests.unit.test_backup import damage, demo


class Said:
    """What the controller would have shown in message boxes."""

    def __init__(self, controller: SafetyController, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[tuple[str, str, str]] = []
        monkeypatch.setattr(controller, "inform", lambda t, x: self.messages.append(("i", t, x)))
        monkeypatch.setattr(controller, "warn", lambda t, x: self.messages.append(("w", t, x)))

    def kinds(self) -> list[str]:
        return [kind for kind, _t, _x in self.messages]


@pytest.fixture
def controller(window: Any, tmp_path: Path) -> Iterator[SafetyController]:
    found = safety.controller_of(window)
    assert found is not None
    window.settings.set(keys.BACKUP_FOLDER, str(tmp_path / "backups"))
    found.apply_settings()
    yield found
    found.side.wait(10_000)


def backups_in(tmp_path: Path, services: Any) -> list[Any]:
    return list_backups(tmp_path / "backups", services.backups.source.stem)


def test_tools_menu_and_status_bar(window: Any, controller: SafetyController) -> None:
    texts = [a.text() for a in window.menus["tools"].actions() if a.text()]
    for text in (
        "&Back up now",
        "&Restore from backup…",
        "Backup &folder…",
        "&Check the database…",
        "&Audit trail…",
        "&Working as…",
    ):
        assert text in texts
    assert controller.actor_button.text().startswith("Working as: ")
    assert "(computer login)" in controller.actor_button.text()


def test_back_up_now(
    qtbot: Any, window: Any, controller: SafetyController, tmp_path: Path, monkeypatch: Any
) -> None:
    said = Said(controller, monkeypatch)
    window.services.patients.create(patient_input())
    controller.actions["backup_now"].trigger()
    qtbot.waitUntil(lambda: bool(said.messages), timeout=10_000)
    assert said.kinds() == ["i"] and "1 patients" in said.messages[0][2]
    made = backups_in(tmp_path, window.services)
    assert len(made) == 1 and str(made[0].path) in said.messages[0][2]
    assert not controller.busy


def test_restore_from_the_app(
    qtbot: Any, window: Any, controller: SafetyController, tmp_path: Path, monkeypatch: Any
) -> None:
    said = Said(controller, monkeypatch)
    services = window.services
    for name in ("Anna", "Bea"):
        services.patients.create(patient_input(first_name=name))
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    services.patients.create(patient_input(first_name="Cleo"))
    window.model.refresh()
    qtbot.waitUntil(lambda: window.model.total == 3)
    window.open_patient(3)
    assert window.tabs.count() == 2
    asked: list[Any] = []
    monkeypatch.setattr(RestoreDialog, "ask", classmethod(lambda cls, *a: backup))
    monkeypatch.setattr(
        RestoreConfirmDialog, "ask", classmethod(lambda cls, w, c, *a: asked.append(c) or "")
    )
    controller.actions["restore"].trigger()
    qtbot.waitUntil(lambda: bool(said.messages), timeout=10_000)
    assert said.kinds() == ["i"], said.messages
    assert asked[0].path.name == "b.db" and asked[0].patients == 2
    assert not asked[0].other_clinic and asked[0].head_seq > 0
    qtbot.waitUntil(lambda: window.model.total == 2)
    assert window.tabs.count() == 1  # the tab of a patient the backup does not have is closed
    assert any("before-restore" in b.path.name for b in backups_in(tmp_path, services))
    assert services.audit.search(AuditQuery()).entries[0].action == "restore"


def test_restore_can_be_declined(
    qtbot: Any, window: Any, controller: SafetyController, tmp_path: Path, monkeypatch: Any
) -> None:
    services = window.services
    services.patients.create(patient_input())
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    services.patients.create(patient_input(first_name="Bea"))
    monkeypatch.setattr(RestoreDialog, "ask", classmethod(lambda cls, *a: backup))
    declined: list[bool] = []
    monkeypatch.setattr(
        RestoreConfirmDialog, "ask", classmethod(lambda cls, *a: declined.append(True) and None)
    )
    controller.restore()
    qtbot.waitUntil(lambda: bool(declined))
    wait_jobs(qtbot, window.runner)
    assert services.patients.count() == 2


def test_exit_and_daily_backups(
    qtbot: Any, window: Any, controller: SafetyController, tmp_path: Path
) -> None:
    services = window.services
    controller.start_automatic(checked=True)
    # no backup yet: one is made at start, in the background
    qtbot.waitUntil(lambda: len(backups_in(tmp_path, services)) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not controller.busy)
    window.close()  # nothing changed since: it closes at once
    assert not window.isVisible()
    window.show()
    services.patients.create(patient_input())
    window.close()  # a change since the last backup: held until the exit backup is made
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert controller.exit_backup_done
    actions = [e.action for e in services.audit.search(AuditQuery()).entries]
    assert actions.count("backup") == 2
    assert services.backups.newest() is not None


def test_a_damaged_database_opens_read_only(
    qtbot: Any, tmp_path: Path, clock: Any, monkeypatch: Any
) -> None:
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.settings import Settings

    path = tmp_path / "clinic.db"
    services = Services.open(path, clock=clock)
    demo(services, 200)
    good = services.backups.back_up(tmp_path / "good.db").value.path
    services.close()
    damage(path)
    services = Services.open(path, clock=clock)
    window = MainWindow(services, Settings())
    qtbot.addWidget(window)
    window.show()
    controller = safety.controller_of(window)
    assert controller is not None
    said = Said(controller, monkeypatch)
    controller.start_automatic(checked=False)
    qtbot.waitUntil(lambda: controller.read_only, timeout=10_000)
    assert services._db.read_only and not window.new_action.isEnabled()
    assert controller.read_only_label.isVisible()
    assert said.kinds() == ["w"] and "read-only" in said.messages[0][2]
    assert "mesodesk restore" in said.messages[0][2]
    window.close()  # no exit backup of a damaged database
    assert not window.isVisible()
    # Restoring is the way out.
    window.show()
    monkeypatch.setattr(RestoreDialog, "ask", classmethod(lambda cls, *a: good))
    monkeypatch.setattr(RestoreConfirmDialog, "ask", classmethod(lambda cls, *a: ""))
    controller.restore()
    qtbot.waitUntil(lambda: len(said.messages) == 2, timeout=10_000)
    assert said.kinds() == ["w", "i"], said.messages
    assert not services._db.read_only and not controller.read_only
    assert window.new_action.isEnabled() and not controller.read_only_label.isVisible()
    services.patients.create(patient_input())
    window.runner.wait(10_000)
    services.close()


def test_working_as(
    qtbot: Any, window: Any, controller: SafetyController, monkeypatch: Any
) -> None:
    services = window.services
    monkeypatch.setattr(
        WorkingAsDialog, "ask", classmethod(lambda cls, *a: Actor("Dr. Amelia Hart", 7))
    )
    controller.actions["working_as"].trigger()
    assert window.settings.get(keys.WORKING_AS) == "Dr. Amelia Hart"
    assert window.settings.get(keys.WORKING_AS_PRACTITIONER) == 7
    assert controller.actor_button.text() == "Working as: Dr. Amelia Hart"
    services.patients.create(patient_input())
    entry = services.audit.search(AuditQuery()).entries[0]
    assert (entry.actor, entry.actor_id) == ("Dr. Amelia Hart", 7)


def test_working_as_dialog(qtbot: Any) -> None:
    from mesodesk.domain.catalogue import Practitioner

    people = [Practitioner(4, "Dr. Amelia Hart", "Dermatologist", True)]
    dialog = WorkingAsDialog(Actor("someone (computer login)"), people)
    qtbot.addWidget(dialog)
    assert dialog.who.count() == 1
    dialog.who.setCurrentIndex(0)
    assert dialog.actor() == Actor("Dr. Amelia Hart", 4)
    dialog.who.setCurrentText("  Nurse   Bea ")
    assert dialog.actor() == Actor("Nurse Bea", None)


def test_restore_dialog(qtbot: Any, window: Any, tmp_path: Path) -> None:
    services = window.services
    services.backups.folder = tmp_path / "backups"
    services.backups.back_up()
    found = services.backups.backups()
    dialog = RestoreDialog(found, window.formats, tmp_path / "backups")
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1 and dialog.restore_button.isEnabled()
    dialog.accept_selected()
    assert dialog.chosen == found[0].path
    empty = RestoreDialog([], window.formats, tmp_path)
    qtbot.addWidget(empty)
    assert not empty.restore_button.isEnabled() and not empty.empty.isHidden()


def test_backup_folder_setting(
    window: Any, controller: SafetyController, tmp_path: Path, monkeypatch: Any
) -> None:
    chosen = tmp_path / "elsewhere"
    monkeypatch.setattr(controller, "ask_folder", lambda current: chosen)
    controller.choose_folder()
    assert window.settings.get(keys.BACKUP_FOLDER) == str(chosen)
    assert window.services.backups.folder == chosen


def test_check_the_database(
    qtbot: Any, window: Any, controller: SafetyController, monkeypatch: Any
) -> None:
    said = Said(controller, monkeypatch)
    controller.check_now()
    qtbot.waitUntil(lambda: bool(said.messages), timeout=10_000)
    assert said.kinds() == ["i"] and "integrity" in said.messages[0][2]


# -- one instance ---------------------------------------------------------------------------------


def test_a_second_app_on_the_same_database_says_who_has_it(
    qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from mesodesk import app

    db = tmp_path / "clinic.db"
    Services.open(db).close()  # an existing clinic (a new name would be asked about first)
    first = InstanceLock.for_database(db)
    assert first.acquire()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    assert app.run_gui(str(db)) == 1
    assert str(os.getpid()) in shown[0] and "already open" in shown[0]
    first.release()


def test_the_app_opens_a_database_on_a_read_only_disk(tmp_path: Path) -> None:
    """No lock file can be made on a read-only disk: the app opens the database read-only and
    says why (it used to refuse it, saying it could not make sure no other mesodesk used it)."""
    from tests.unit.test_disks import _mount, _umount

    point = tmp_path / "ro"
    _mount(point, "8m")
    try:
        db = point / "clinic.sqlite3"
        services = Services.open(db)
        services.patients.create(patient_input())
        services.close()
        done = subprocess.run(
            ["mount", "-o", "remount,ro", str(point)], capture_output=True, check=False
        )
        if done.returncode != 0:
            pytest.skip("cannot remount read-only here")
        env = {
            "QT_QPA_PLATFORM": "offscreen",
            "MESODESK_HOME": str(tmp_path / "home"),
            "MESODESK_PROBE_STARTUP": "0",  # quits once the list is shown
            "PATH": "/usr/bin:/bin",
        }
        shown = subprocess.run(
            [sys.executable, "-m", "mesodesk", "--db", str(db)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,  # a refusal waits on its message box
            check=False,
        )
        assert shown.returncode == 0 and "ready " in shown.stdout, shown.stderr
    finally:
        _umount(point)


def test_the_lock_of_a_crashed_app_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from mesodesk.ui.instance import InstanceLock; "
            f"lock = InstanceLock.for_database(Path({str(db)!r})); "
            "print(lock.acquire(), flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        mine = InstanceLock.for_database(db)
        assert not mine.acquire()
        who = mine.holder()
        assert who is not None and who.pid == holder.pid and who.here
        assert str(holder.pid) in mine.refusal()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        assert mine.acquire() and mine.took_over
        mine.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


def test_the_restore_confirmation_shows_what_comes_back(
    qtbot: Any, window: Any, tmp_path: Path
) -> None:
    """Clinic, newest entry, records table by table, the trail's head; another clinic's backup
    only once its name is typed; and the dialog fits a 1024x768 screen."""
    from dataclasses import replace

    services = window.services
    services.patients.create(patient_input())
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    contents = services.backups.inspect(backup)
    dialog = RestoreConfirmDialog(contents, window.formats, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.restore_button.isEnabled() and dialog.name is None
    rows = dialog.table.rowCount()
    shown = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text() for r in range(rows)}
    assert shown["patient"] == "1" and "audit entry" in shown
    # b.db carries no time in its name: the file's own time is said, as such
    assert any("last changed" in label.text() for label in dialog.findChildren(QLabel))
    assert dialog.width() <= 1024 and dialog.height() <= 740
    other = replace(contents, clinic_uid="0" * 32, clinic_name="Clinique du Lac")
    assert other.other_clinic
    dialog = RestoreConfirmDialog(other, window.formats, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.name is not None and not dialog.restore_button.isEnabled()
    dialog.name.setText("clinique  du lac")
    assert dialog.restore_button.isEnabled() and dialog.typed() == "clinique  du lac"
    dialog.name.setText("Clinique du Parc")
    assert not dialog.restore_button.isEnabled()
    assert dialog.height() <= 740


def test_without_the_clinic_key_the_app_reads_but_does_not_change(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a computer without the clinic key the records open, read-only, and the person is told
    why and what to do; nothing offers to save."""
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.settings import Settings

    db = tmp_path / "clinic.sqlite3"
    services = Services.open(db)
    services.patients.create(patient_input())
    services.close()
    monkeypatch.setenv("MESODESK_HOME", str(tmp_path / "another-computer"))
    services = Services.open(db)
    try:
        assert services._db.key is None and "clinic key" in services._db.notice
        window = MainWindow(services, Settings())
        qtbot.addWidget(window)
        window.show()
        controller = safety.controller_of(window)
        assert controller is not None and controller.read_only
        assert "clinic key is missing" in controller.read_only_label.text()
        assert not controller.read_only_label.isHidden()
        assert not window.new_action.isEnabled()
        qtbot.waitUntil(lambda: window.model.total == 1)
        # Tools > Check the database: the way out is the key, not a restore
        said = Said(controller, monkeypatch)
        controller.check_now()
        qtbot.waitUntil(lambda: bool(said.messages), timeout=20_000)
        kind, title, text = said.messages[-1]
        assert kind == "w" and "clinic key" in title and "key import" in text
        assert "Restore the database" not in text
        controller.side.wait(10_000)
    finally:
        services.close()
