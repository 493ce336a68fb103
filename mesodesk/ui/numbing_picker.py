"""The numbing agent of a session: nothing, cold, a numbing cream or spray of the catalogue with
its lot (checked against the patient's allergies like the blend), or something else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from mesodesk.domain.catalogue import Lot, Product
from mesodesk.domain.enums import NumbingAgent
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import label

# what the first combo holds, beside a product id
NONE, COLD, OTHER, LEGACY = "none", "cold", "other", "legacy"


class NumbingPicker(QWidget):
    """Two choices, one under the other: the agent (a product is one of them) and, for a
    product, its lot in date, the soonest to expire first (first-expiry-first-out)."""

    changed = Signal()

    def __init__(self, show_date: Callable[[date], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_date = show_date
        self.agent = QComboBox()
        self.lot = QComboBox()
        self.lot.setToolTip(self.tr("The lot of the numbing product (in date on the day)"))
        # one under the other: a product's name and a lot with its expiry each need the width
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.agent)
        layout.addWidget(self.lot)
        self.products: list[Product] = []
        self.lots: list[Lot] = []
        self.on = date.today()
        self.keep_lot: int | None = None  # the lot the session being edited already had
        self.legacy = False  # the session has "topical anaesthetic cream" without a product
        self._wanted: tuple[str | int, int | None] = (NONE, None)
        self._fill_agents()
        self.agent.currentIndexChanged.connect(self._agent_changed)
        self.lot.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.lot.hide()

    # -- filling --------------------------------------------------------------------------------

    def _fill_agents(self) -> None:
        self.agent.blockSignals(True)
        self.agent.clear()
        self.agent.addItem(label(NumbingAgent.NONE), NONE)
        self.agent.addItem(label(NumbingAgent.COLD), COLD)
        for p in self.products:
            self.agent.addItem(p.name, p.id)
        if self.legacy:
            self.agent.addItem(self.tr("Topical anaesthetic cream (product not recorded)"), LEGACY)
        self.agent.addItem(label(NumbingAgent.OTHER), OTHER)
        self.agent.blockSignals(False)

    def set_catalogue(self, products: list[Product], lots: list[Lot], on: date) -> None:
        """The numbing products (active ones, and the one the session had) and their lots."""
        keep_product = next((x.product_id for x in lots if x.id == self.keep_lot), None)
        self.products = [p for p in products if p.numbing and (p.active or p.id == keep_product)]
        numbing = {p.id for p in self.products}
        self.lots = [x for x in lots if x.product_id in numbing]
        self.on = on
        self._fill_agents()
        self._select(*self._wanted)

    def set_choice(self, agent: NumbingAgent, lot_id: int | None, product_id: int | None) -> None:
        """What a session had (or the last session, for a new one)."""
        if lot_id is not None and product_id is not None:
            wanted: tuple[str | int, int | None] = (product_id, lot_id)
        elif agent is NumbingAgent.TOPICAL_ANAESTHETIC:
            wanted = (LEGACY, None) if self.legacy else (NONE, None)
        else:
            wanted = ({NumbingAgent.COLD: COLD, NumbingAgent.OTHER: OTHER}.get(agent, NONE), None)
        self._wanted = wanted
        self._select(*wanted)

    def _select(self, key: str | int, lot_id: int | None) -> None:
        index = self.agent.findData(key)
        self.agent.blockSignals(True)
        self.agent.setCurrentIndex(max(0, index))
        self.agent.blockSignals(False)
        self._fill_lots(lot_id)
        self.changed.emit()

    def usable(self, product_id: int) -> list[Lot]:
        """The product's lots in date on the session's day, soonest to expire first."""
        found = [
            x
            for x in self.lots
            if x.product_id == product_id and (not x.expired_on(self.on) or x.id == self.keep_lot)
        ]
        return sorted(found, key=lambda x: (x.expiry_date, x.id))

    def _fill_lots(self, wanted: int | None) -> None:
        product_id = self.agent.currentData()
        self.lot.blockSignals(True)
        self.lot.clear()
        if isinstance(product_id, int):
            for x in self.usable(product_id):
                text = arg(self.tr("%1 (exp. %2)"), x.lot_number, self.show_date(x.expiry_date))
                self.lot.addItem(text, x.id)
            if self.lot.count() == 0:
                self.lot.addItem(self.tr("no lot in date"), None)
            index = self.lot.findData(wanted) if wanted is not None else -1
            self.lot.setCurrentIndex(max(0, index))
        self.lot.setVisible(isinstance(product_id, int))
        self.lot.blockSignals(False)

    def _agent_changed(self) -> None:
        self._fill_lots(None)
        self.changed.emit()

    def refresh(self, on: date) -> None:
        """The session's day changed: offer the lots in date on it."""
        self.on = on
        self._fill_lots(self.lot.currentData())
        self.changed.emit()

    # -- reading --------------------------------------------------------------------------------

    def product(self) -> Product | None:
        key = self.agent.currentData()
        return next((p for p in self.products if p.id == key), None)

    def value(self) -> tuple[NumbingAgent, int | None]:
        """The agent and the lot; ValueError (with the words to show) for a product without a
        lot in date."""
        key = self.agent.currentData()
        if isinstance(key, int):
            lot_id = self.lot.currentData()
            if lot_id is None:
                raise ValueError(
                    self.tr(
                        "This numbing product has no lot in date: add one in Products and lots."
                    )
                )
            return NumbingAgent.TOPICAL_ANAESTHETIC, lot_id
        return {
            COLD: NumbingAgent.COLD,
            OTHER: NumbingAgent.OTHER,
            LEGACY: NumbingAgent.TOPICAL_ANAESTHETIC,
        }.get(key, NumbingAgent.NONE), None
