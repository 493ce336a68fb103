"""Practitioners, products with their ingredients, and product lots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mesodesk.domain.catalogue import (
    Lot,
    LotInput,
    Practitioner,
    PractitionerInput,
    Product,
    ProductInput,
)
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import ConflictError, NotFoundError, ValidationError
from mesodesk.domain.text import fold
from mesodesk.services.changes import Changes, Result
from mesodesk.store.db import Database
from mesodesk.store.derived import fold_lot_number
from mesodesk.store.models import Ingredient, ProductLot
from mesodesk.store.models import Practitioner as PractitionerRow
from mesodesk.store.models import Product as ProductRow
from mesodesk.store.session_lots import session_lots
from mesodesk.store.tables import BLEND_ITEM, INGREDIENT, LOT, PRACTITIONER, PRODUCT, SESSION, table

CATALOGUE = Changes(catalogue=True)


def _practitioner(row: Any) -> Practitioner:
    return Practitioner(id=row.id, name=row.name, title=row.title, active=bool(row.active))


def _lot(row: Any, product: str, uses: int = 0) -> Lot:
    return Lot(
        id=row.id,
        product_id=row.product_id,
        product=product,
        lot_number=row.lot_number,
        expiry_date=row.expiry_date,
        received_on=row.received_on,
        notes=row.notes,
        uses=uses,
    )


class CatalogueService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or Clock()

    # -- practitioners --------------------------------------------------------------------------

    def practitioners(self, *, active_only: bool = False) -> list[Practitioner]:
        stmt = select(
            PRACTITIONER.id, PRACTITIONER.name, PRACTITIONER.title, PRACTITIONER.active
        ).order_by(PRACTITIONER.name, PRACTITIONER.id)
        if active_only:
            stmt = stmt.where(PRACTITIONER.active == True)  # noqa: E712
        with self.db.read() as s:
            return [_practitioner(r) for r in s.execute(stmt)]

    def create_practitioner(self, data: PractitionerInput) -> Result[Practitioner]:
        clean = data.validated()
        now = self.clock.utcnow()
        with self.db.write() as s:
            row = PractitionerRow(
                name=clean.name,
                title=clean.title,
                active=clean.active,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            value = _practitioner(row)
        return Result(value, CATALOGUE)

    def update_practitioner(
        self, practitioner_id: int, data: PractitionerInput
    ) -> Result[Practitioner]:
        clean = data.validated()
        with self.db.write() as s:
            row = s.get(PractitionerRow, practitioner_id)
            if row is None:
                raise NotFoundError("This practitioner no longer exists.")
            row.name, row.title, row.active = clean.name, clean.title, clean.active
            row.updated_at = self.clock.utcnow()
            s.flush()
            value = _practitioner(row)
        return Result(value, CATALOGUE)

    # -- products -------------------------------------------------------------------------------

    def products(self, *, active_only: bool = False) -> list[Product]:
        with self.db.read() as s:
            stmt = select(
                PRODUCT.id,
                PRODUCT.name,
                PRODUCT.manufacturer,
                PRODUCT.category,
                PRODUCT.unit,
                PRODUCT.notes,
                PRODUCT.active,
                PRODUCT.numbing,
            )
            if active_only:
                stmt = stmt.where(PRODUCT.active == True)  # noqa: E712
            rows = list(s.execute(stmt.order_by(PRODUCT.name)))
            ingredients = self._ingredients(s, [r.id for r in rows])
            counted = select(LOT.product_id, func.count()).group_by(LOT.product_id)
            lots: dict[int, int] = {product_id: n for product_id, n in s.execute(counted)}
        return [
            Product(
                id=r.id,
                name=r.name,
                manufacturer=r.manufacturer,
                category=r.category,
                unit=r.unit,
                notes=r.notes,
                active=bool(r.active),
                ingredients=tuple(ingredients.get(r.id, ())),
                lots=lots.get(r.id, 0),
                numbing=bool(r.numbing),
            )
            for r in rows
        ]

    def product(self, product_id: int) -> Product:
        for p in self.products():
            if p.id == product_id:
                return p
        raise NotFoundError("This product no longer exists.")

    def _ingredients(self, s: Session, product_ids: Iterable[int]) -> dict[int, list[str]]:
        ids = list(product_ids)
        found: dict[int, list[str]] = {}
        if not ids:
            return found
        stmt = (
            select(INGREDIENT.product_id, INGREDIENT.name)
            .where(INGREDIENT.product_id.in_(ids))
            .order_by(INGREDIENT.product_id, INGREDIENT.position, INGREDIENT.id)
        )
        for product_id, name in s.execute(stmt):
            found.setdefault(product_id, []).append(name)
        return found

    def create_product(self, data: ProductInput) -> Result[Product]:
        clean = data.validated()
        now = self.clock.utcnow()
        with self.db.write() as s:
            self._unique_name(s, clean.name, None)
            row = ProductRow(
                name=clean.name,
                manufacturer=clean.manufacturer,
                category=clean.category,
                unit=clean.unit,
                notes=clean.notes,
                active=clean.active,
                numbing=clean.numbing,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            self._set_ingredients(s, row.id, clean.ingredients)
            product_id = row.id
        return Result(self.product(product_id), CATALOGUE)

    def update_product(self, product_id: int, data: ProductInput) -> Result[Product]:
        clean = data.validated()
        with self.db.write() as s:
            row = s.get(ProductRow, product_id)
            if row is None:
                raise NotFoundError("This product no longer exists.")
            self._unique_name(s, clean.name, product_id)
            row.name, row.manufacturer, row.category = (
                clean.name,
                clean.manufacturer,
                clean.category,
            )
            row.unit, row.notes, row.active = clean.unit, clean.notes, clean.active
            if row.numbing != clean.numbing:
                self._check_numbing_change(s, product_id, clean.numbing)
                row.numbing = clean.numbing
            row.updated_at = self.clock.utcnow()
            current = list(
                s.execute(
                    select(Ingredient)
                    .where(INGREDIENT.product_id == product_id)
                    .order_by(INGREDIENT.position)
                ).scalars()
            )
            if [i.name for i in current] != list(clean.ingredients):
                for item in current:
                    s.delete(item)
                s.flush()
                self._set_ingredients(s, product_id, clean.ingredients)
        return Result(self.product(product_id), CATALOGUE)

    def _check_numbing_change(self, s: Session, product_id: int, numbing: bool) -> None:
        """A product used in a blend cannot become a numbing product, nor one used as a
        session's numbing product an injectable: the record would then say something else than
        what was done."""
        lots = select(LOT.id).where(LOT.product_id == product_id)
        if numbing:
            used = select(func.count()).where(BLEND_ITEM.lot_id.in_(lots))
            what = "in the blends of"
        else:
            used = select(func.count()).where(SESSION.numbing_lot_id.in_(lots))
            what = "as the numbing product of"
        count = s.execute(used).scalar_one()
        if count:
            raise ValidationError.single(
                "numbing",
                f"This product was used {what} {count} session(s): it stays what it was. "
                "Add a new product instead.",
            )

    def delete_product(self, product_id: int) -> Result[None]:
        with self.db.write() as s:
            row = s.get(ProductRow, product_id)
            if row is None:
                raise NotFoundError("This product no longer exists.")
            lots = s.execute(select(func.count()).where(LOT.product_id == product_id)).scalar_one()
            if lots:
                raise ConflictError(
                    f"{row.name} has {lots} lot(s) and cannot be deleted; mark it inactive instead."
                )
            for item in s.execute(
                select(Ingredient).where(INGREDIENT.product_id == product_id)
            ).scalars():
                s.delete(item)
            s.delete(row)
        return Result(None, CATALOGUE)

    def _unique_name(self, s: Session, name: str, exclude: int | None) -> None:
        # SQLite's lower() changes ASCII letters only: "É" must also match itself exactly, or
        # the insert would meet the UNIQUE constraint instead of this message.
        stmt = select(PRODUCT.id).where(
            or_(func.lower(PRODUCT.name) == name.lower(), PRODUCT.name == name)
        )
        if exclude is not None:
            stmt = stmt.where(PRODUCT.id != exclude)
        if s.execute(stmt).first() is not None:
            raise ValidationError.single("name", f"A product named “{name}” already exists.")

    def _set_ingredients(self, s: Session, product_id: int, names: Iterable[str]) -> None:
        for position, name in enumerate(names):
            s.add(
                Ingredient(
                    product_id=product_id, name=name, folded=fold(name)[:120], position=position
                )
            )
        s.flush()

    def ingredients_by_lot(self, lot_ids: Iterable[int]) -> dict[str, list[str]]:
        """Product name -> its ingredients, for the products of these lots (the allergy check)."""
        ids = list(lot_ids)
        if not ids:
            return {}
        with self.db.read() as s:
            rows = s.execute(
                select(PRODUCT.name, INGREDIENT.name)
                .select_from(table(ProductLot).join(table(ProductRow)).join(table(Ingredient)))
                .where(LOT.id.in_(ids))
                .order_by(PRODUCT.name, INGREDIENT.position)
            )
            found: dict[str, list[str]] = {}
            for product, ingredient in rows:
                found.setdefault(product, []).append(ingredient)
        return found

    # -- lots -----------------------------------------------------------------------------------

    def lots(
        self,
        product_id: int | None = None,
        *,
        usable_on: date | None = None,
        number_prefix: str = "",
        limit: int = 5000,
    ) -> list[Lot]:
        """Lots, newest expiry first; ``usable_on`` keeps only those not expired on that day."""
        stmt = select(
            LOT.id,
            LOT.product_id,
            LOT.lot_number,
            LOT.expiry_date,
            LOT.received_on,
            LOT.notes,
            PRODUCT.name,
        ).select_from(table(ProductLot).join(table(ProductRow)))
        if product_id is not None:
            stmt = stmt.where(LOT.product_id == product_id)
        if usable_on is not None:
            stmt = stmt.where(LOT.expiry_date >= usable_on)
        prefix = fold_lot_number(number_prefix)
        if prefix:
            stmt = stmt.where(LOT.lot_folded.startswith(prefix, autoescape=True))
        stmt = stmt.order_by(PRODUCT.name, LOT.expiry_date.desc(), LOT.id.desc()).limit(limit)
        with self.db.read() as s:
            return [_lot(r, r.name) for r in s.execute(stmt)]

    def lot(self, lot_id: int) -> Lot:
        with self.db.read() as s:
            row = s.execute(
                select(
                    LOT.id,
                    LOT.product_id,
                    LOT.lot_number,
                    LOT.expiry_date,
                    LOT.received_on,
                    LOT.notes,
                    PRODUCT.name,
                )
                .select_from(table(ProductLot).join(table(ProductRow)))
                .where(LOT.id == lot_id)
            ).first()
            if row is None:
                raise NotFoundError("This lot no longer exists.")
            uses = self._uses(s, lot_id)
        return _lot(row, row.name, uses)

    def create_lot(self, data: LotInput) -> Result[Lot]:
        clean = data.validated(self.clock.today())
        now = self.clock.utcnow()
        with self.db.write() as s:
            if s.get(ProductRow, clean.product_id) is None:
                raise ValidationError.single(
                    "product_id", "Choose the product this lot belongs to."
                )
            self._unique_lot(s, clean.product_id, clean.lot_number, None)
            row = ProductLot(
                product_id=clean.product_id,
                lot_number=clean.lot_number,
                lot_folded=fold_lot_number(clean.lot_number),
                expiry_date=clean.expiry_date,  # type: ignore[arg-type]
                received_on=clean.received_on,
                notes=clean.notes,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            lot_id = row.id
        return Result(self.lot(lot_id), CATALOGUE)

    def update_lot(self, lot_id: int, data: LotInput) -> Result[Lot]:
        clean = data.validated(self.clock.today())
        with self.db.write() as s:
            row = s.get(ProductLot, lot_id)
            if row is None:
                raise NotFoundError("This lot no longer exists.")
            self._unique_lot(s, row.product_id, clean.lot_number, lot_id)
            row.lot_number = clean.lot_number
            row.lot_folded = fold_lot_number(clean.lot_number)
            row.expiry_date = clean.expiry_date  # type: ignore[assignment]
            row.received_on = clean.received_on
            row.notes = clean.notes
            row.updated_at = self.clock.utcnow()
        return Result(self.lot(lot_id), CATALOGUE)

    def delete_lot(self, lot_id: int) -> Result[None]:
        with self.db.write() as s:
            row = s.get(ProductLot, lot_id)
            if row is None:
                raise NotFoundError("This lot no longer exists.")
            uses = self._uses(s, lot_id)
            if uses:
                raise ConflictError(
                    f"Lot {row.lot_number} was used in {uses} session(s): it stays on record for "
                    "traceability and cannot be deleted."
                )
            s.delete(row)
        return Result(None, CATALOGUE)

    @staticmethod
    def _uses(s: Session, lot_id: int) -> int:
        """The sessions that used a lot, in their blend or as their numbing product."""
        used = session_lots([lot_id]).subquery()
        return s.execute(select(func.count()).select_from(used)).scalar_one()

    def _unique_lot(self, s: Session, product_id: int, number: str, exclude: int | None) -> None:
        # Case- and accent-blind, as a recall finds it: "ÅB-12ç" and "AB-12C" are one lot.
        stmt = select(LOT.id).where(
            LOT.product_id == product_id, LOT.lot_folded == fold_lot_number(number)
        )
        if exclude is not None:
            stmt = stmt.where(LOT.id != exclude)
        if s.execute(stmt).first() is not None:
            raise ValidationError.single(
                "lot_number", f"Lot {number} already exists for this product."
            )
