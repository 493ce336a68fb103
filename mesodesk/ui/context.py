"""What every feature of the window is handed: the application context, and the host protocol
through which a feature installs itself.

A view or dialog needs the services, the job runner, the date and money formats, the
workstation's settings, the person at work and whether the database may be changed; it gets
them from one ``AppContext``, never by reaching into the main window (Anki hands its ``mw``
around for this and regrets it; napari gives each widget the viewer it serves). Whatever a
feature asks of the window itself (a menu to add to, a tab to show, the status bar) goes
through the small ``Host`` protocol that the main window satisfies. So no feature module
imports the window's module, and a test can build a view or dialog over a context alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QStatusBar, QWidget

from mesodesk.domain.audit import Actor
from mesodesk.services.changes import Changes
from mesodesk.services.registry import Services
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.settings import Settings

V = TypeVar("V", bound=QWidget)


class AppContext(QObject):
    """The application as a feature sees it. Signals carry what changes for everyone: the
    records a service changed, whether the database may be changed, who is at work, and the
    requests that only the window can carry out (open a patient, close the views)."""

    changes_applied = Signal(object)  # Changes, emitted once for every view
    read_only_changed = Signal(bool)
    actor_changed = Signal(object)  # Actor
    status_message = Signal(str, int)  # text, milliseconds
    open_patient_requested = Signal(int)
    edit_patient_requested = Signal(int)
    archive_patient_requested = Signal(int)
    close_views_requested = Signal()

    def __init__(
        self,
        services: Services,
        settings: Settings,
        runner: JobRunner,
        formats: Formats,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.settings = settings
        self.runner = runner
        self.formats = formats
        self._read_only = False
        self._actor = Actor.system()

    # -- read-only state ---------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Whether nothing may be changed (a damaged database, a read-only folder, no key)."""
        return self._read_only

    def set_read_only(self, read_only: bool) -> None:
        if read_only != self._read_only:
            self._read_only = read_only
            self.read_only_changed.emit(read_only)

    # -- the person at work ------------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        """Who the audit trail names for the changes made at this workstation."""
        return self._actor

    def set_actor(self, actor: Actor) -> None:
        self._actor = actor
        self.services.database.work_as(actor)
        self.actor_changed.emit(actor)

    # -- what happened, and what the window is asked to do ------------------------------------

    def apply(self, changes: Changes) -> None:
        """Every change a service reports passes here once; each view refreshes what it shows."""
        if changes.any:
            self.changes_applied.emit(changes)

    def show_status(self, text: str, milliseconds: int = 5000) -> None:
        self.status_message.emit(text, milliseconds)

    def open_patient(self, patient_id: int) -> None:
        self.open_patient_requested.emit(patient_id)

    def edit_patient(self, patient_id: int) -> None:
        self.edit_patient_requested.emit(patient_id)

    def archive_patient(self, patient_id: int) -> None:
        self.archive_patient_requested.emit(patient_id)

    def close_views(self) -> None:
        """Close every tab but the patient list (after a restore, a patient shown may be gone
        and every view would show data that were replaced)."""
        self.close_views_requested.emit()


class Host(Protocol):
    """What a feature may ask of the window that hosts it; the main window satisfies it."""

    @property
    def context(self) -> AppContext: ...

    def window(self) -> QWidget:
        """The top-level window: the parent of a feature's dialogs and windows."""
        ...

    def statusBar(self) -> QStatusBar: ...

    def menu(self, name: str) -> QMenu:
        """One of the window's menus: "file", "patient", "view", "tools", "help"."""
        ...

    def show_view(self, view: QWidget, title: str, position: int = -1) -> None:
        """Show a view in a tab of its own (added at `position`, or last), in front."""
        ...

    def find_view(self, kind: type[V]) -> V | None:
        """The open view of this kind, if any."""
        ...


# A feature module installs itself with one function that takes the host: menu actions, views,
# status-bar widgets. What it returns (a controller, say) is kept alive by its Qt parent.
Feature = Callable[[Host], object]
