"""What the product, lot and practitioner dialogs share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QWidget,
)

from mesodesk.domain.errors import MesodeskError
from mesodesk.services.changes import Result
from mesodesk.services.registry import Services
from mesodesk.ui.form import FormDialog
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats


class CatalogueDialog(FormDialog):
    """What the product, lot and practitioner dialogs share: each saves through the catalogue
    service, with the input of ``collect`` and the service call of ``operation``."""

    def __init__(
        self, services: Services, runner: JobRunner, formats: Formats, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.formats = formats

    def operation(self, data: Any) -> Callable[[], Result[Any]]:
        raise NotImplementedError

    def save(self) -> None:
        data = self.checked_input()
        if data is not None:
            self.runner.run(self.operation(data)).success(self.saved_value).failure(self.failed)

    def failure_text(self, error: BaseException) -> str:
        if isinstance(error, MesodeskError):
            return str(error)
        return arg(self.tr("Something went wrong (%1). Nothing was saved."), type(error).__name__)
