"""What can be bought: one `Offer` per SKU, term and billing cycle of the cached catalogue.

Pure. A perpetual SKU is bought once (`billingCycle` `one_time`, no term); a software
subscription has a term (`P1Y`/`P3Y`) and one of its SKU's billing cycles
[partner-center-software.md §3]. The offer names product, SKU, term and cycle only: the
catalog item id to buy changes over time, so the worker reads it just before the cart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.core.formats import number
from bot.core.i18n import _

if TYPE_CHECKING:
    from store.models import SoftwareProductRow


class SoftwareKind(StrEnum):
    PERPETUAL = "perpetual"
    SUBSCRIPTION = "software_subscription"

    @property
    def label(self) -> str:
        return {SoftwareKind.PERPETUAL: _("Perpetual software"),
                SoftwareKind.SUBSCRIPTION: _("Software subscription")}[self]


ONE_TIME = "one_time"


def term_words(term: str | None) -> str:
    return {None: _("none (perpetual)"), "": _("none (perpetual)"), "P1M": _("1 month"),
            "P1Y": _("1 year"), "P3Y": _("3 years")}.get(term, term or "")


def cycle_words(cycle: str | None) -> str:
    return {ONE_TIME: _("once"), "monthly": _("monthly"), "annual": _("yearly"),
            "triennial": _("every 3 years"), "biennial": _("every 2 years")}.get(
        cycle or "", cycle or _("unknown"))


@dataclass(frozen=True)
class Offer:
    product_id: str
    sku_id: str
    term: str | None
    billing_cycle: str

    @property
    def value(self) -> str:
        """The option value: ids only, at most 75 characters."""
        return ":".join((self.product_id, self.sku_id, self.term or "", self.billing_cycle))

    @classmethod
    def parse(cls, value: str | None) -> Offer | None:
        parts = (value or "").split(":")
        if len(parts) != 4 or not all(parts[i] for i in (0, 1, 3)):
            return None
        return cls(parts[0], parts[1], parts[2] or None, parts[3])

    @property
    def kind(self) -> SoftwareKind:
        return SoftwareKind.SUBSCRIPTION if self.term else SoftwareKind.PERPETUAL


@dataclass(frozen=True)
class CatalogueItem:
    """One SKU as the cache keeps it (`store.models.SoftwareProductRow`)."""

    product_id: str
    sku_id: str
    product_title: str
    sku_title: str
    kind: SoftwareKind
    terms: tuple[str, ...]
    billing_cycles: tuple[str, ...]
    minimum_quantity: int = 1
    maximum_quantity: int | None = None

    @classmethod
    def of(cls, row: SoftwareProductRow) -> CatalogueItem:
        return cls(row.product_id, row.sku_id, row.product_title, row.sku_title,
                   SoftwareKind(row.kind), tuple(row.terms or ()), tuple(row.billing_cycles or ()),
                   row.minimum_quantity or 1, row.maximum_quantity)

    @property
    def name(self) -> str:
        return self.sku_title or self.product_title or f"{self.product_id}:{self.sku_id}"

    def offers(self) -> list[Offer]:
        if self.kind is SoftwareKind.PERPETUAL:
            return [Offer(self.product_id, self.sku_id, None, ONE_TIME)]
        cycles = [c for c in self.billing_cycles if c != ONE_TIME] or ["annual"]
        return [Offer(self.product_id, self.sku_id, t, c) for t in self.terms for c in cycles]

    def offers_term(self, offer: Offer) -> bool:
        return offer in self.offers()

    def quantity_problem(self, quantity: int) -> str | None:
        """Why `quantity` cannot be bought of this SKU, in words; None when it can."""
        high = self.maximum_quantity
        if quantity < self.minimum_quantity or (high is not None and quantity > high):
            if high is None:
                return _("At least {low}, please.", low=number(self.minimum_quantity))
            return _("Between {low} and {high} for this SKU.", low=number(self.minimum_quantity),
                     high=number(high))
        return None

    def label(self, offer: Offer, limit: int = 75) -> str:
        """How the typeahead shows it: the name cut so that the term and cycle always show."""
        if offer.kind is SoftwareKind.PERPETUAL:
            tail = " · " + _("perpetual")
        else:
            tail = " · " + _("{term}, billed {cycle}", term=term_words(offer.term),
                             cycle=cycle_words(offer.billing_cycle))
        room = max(10, limit - len(tail))
        name = self.name if len(self.name) <= room else self.name[: room - 1] + "…"
        return name + tail


def kind_of(terms: list[str], billing_cycles: list[str], dynamic: dict[str, Any] | None
            ) -> SoftwareKind:
    """A SKU with a term, or flagged `isSoftwareSubscription`, is a software subscription;
    one billed only `one_time` is perpetual (inferred from [D csp-software-subscriptions,
    make-a-one-time-purchase]: perpetual lines are `one_time` with an empty term)."""
    if terms or (dynamic or {}).get("isSoftwareSubscription"):
        return SoftwareKind.SUBSCRIPTION
    return SoftwareKind.PERPETUAL
