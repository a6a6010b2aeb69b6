"""The software catalogue: products → SKUs → availabilities [D get-a-list-of-products,
product-resources].

What is bought is an availability's `catalogItemId` = "{productId}:{skuId}:{availabilityId}"
[D product-resources]. It changes over time, so it is read again just before buying; a stale one
is refused at checkout with 404 400019 [D].
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import Field

from bot.partner_center.wire import BillingCycleValue, PcModel, Resource


class TargetView(StrEnum):
    """The software target views [D get-a-list-of-products; PS GetPartnerProduct.cs]. There is
    no `OnPremiseSoftware` view."""

    SOFTWARE = "Software"
    SOFTWARE_PERPETUAL = "SoftwarePerpetual"
    SOFTWARE_SUBSCRIPTIONS = "SoftwareSubscriptions"
    SOFTWARE_SUSE_LINUX = "SoftwareSUSELinux"


SOFTWARE_VIEWS = (
    TargetView.SOFTWARE,
    TargetView.SOFTWARE_PERPETUAL,
    TargetView.SOFTWARE_SUBSCRIPTIONS,
)


class Segment(StrEnum):
    COMMERCIAL = "commercial"
    EDUCATION = "education"
    GOVERNMENT = "government"
    NONPROFIT = "nonprofit"


class CatalogItemId(NamedTuple):
    product_id: str
    sku_id: str
    availability_id: str

    @classmethod
    def parse(cls, text: str) -> CatalogItemId:
        parts = str(text).split(":")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a catalog item id (product:sku:availability): {text!r}")
        return cls(*parts)

    def __str__(self) -> str:
        return ":".join(self)


class ProductType(PcModel):
    """`{id, displayName, subType?}`; the JSON of perpetual products is an open question [D]."""

    id: str | None = None
    display_name: str | None = None
    sub_type: ProductType | None = None


class Product(Resource):
    """`id` is 12 characters, e.g. `DG7GMGF0FKZV` [D product-resources]."""

    id: str
    title: str | None = None
    description: str | None = None
    product_type: ProductType | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None


class Sku(Resource):
    """`id` is 4 characters, per product (`0003`) [D product-resources]; seat limits from
    `minimumQuantity`/`maximumQuantity` [D csp-software-subscriptions]."""

    id: str
    product_id: str | None = None
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    supported_billing_cycles: list[str] = Field(default_factory=list)
    purchase_prerequisites: list[str] = Field(default_factory=list)
    provisioning_variables: list[str] = Field(default_factory=list)
    dynamic_attributes: dict[str, Any] | None = None

    def allows(self, quantity: int) -> bool:
        low = self.minimum_quantity if self.minimum_quantity is not None else 1
        high = self.maximum_quantity
        return quantity >= low and (high is None or quantity <= high)


class Currency(PcModel):
    code: str | None = None
    symbol: str | None = None


class Term(PcModel):
    """`{duration, description}`; new-commerce terms add `id`, `billingCycle` and
    `cancellationPolicies` [D product-resources]. Software subscriptions are `P1Y` or `P3Y`
    [D csp-software-subscriptions]."""

    duration: str | None = None
    description: str | None = None
    id: str | None = None
    billing_cycle: BillingCycleValue = None
    cancellation_policies: list[dict[str, Any]] | None = None


class Availability(Resource):
    id: str
    product_id: str | None = None
    sku_id: str | None = None
    catalog_item_id: str | None = None
    default_currency: Currency | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool | None = None
    is_renewable: bool | None = None
    terms: list[Term] = Field(default_factory=list)

    @property
    def item_id(self) -> CatalogItemId | None:
        try:
            return CatalogItemId.parse(self.catalog_item_id or "")
        except ValueError:
            return None



def choose_availability(
    availabilities: list[Availability], term_duration: str | None = None
) -> Availability | None:
    """The availability to buy: purchasable (an absent flag counts as yes), offering the term
    asked for (any, for perpetual software), the commercial segment first."""

    def offers(a: Availability) -> bool:
        if term_duration is None:
            return True
        return any(t.duration == term_duration for t in a.terms)

    fit = [a for a in availabilities if a.is_purchasable is not False and offers(a)]
    fit.sort(key=lambda a: (a.segment or "").lower() != Segment.COMMERCIAL)
    return fit[0] if fit else None
