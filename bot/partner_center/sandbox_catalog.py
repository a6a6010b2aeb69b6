"""The sandbox's catalogue as Partner Center shows it: products, SKUs, availabilities, and
which catalog item ids are today's, yesterday's (stale: 400019 at checkout) or never were."""

from __future__ import annotations

from collections.abc import Sequence

from bot.partner_center import errors
from bot.partner_center import sandbox_rules as rules
from bot.partner_center.catalog import (
    Availability,
    CatalogItemId,
    Currency,
    Product,
    ProductType,
    Sku,
    Term,
)
from bot.partner_center.orders import CartLineItem
from bot.partner_center.sandbox_data import ENTRIES, CatalogueEntry, Kind, availability_id

TERM_WORDS = {"P1M": "1 Month", "P1Y": "1 Year", "P3Y": "3 Years"}


def product(entry: CatalogueEntry) -> Product:
    return Product(
        id=entry.product_id,
        title=entry.title,
        description=f"{entry.title} ({entry.kind.value.replace('_', ' ')})",
        product_type=ProductType(**entry.product_type),
        is_microsoft_product=True,
        publisher_name="Microsoft Corporation",
        attributes={"objectType": "Product"},
        links={"skus": {"uri": f"/products/{entry.product_id}/skus", "method": "GET"}},
    )


def sku(entry: CatalogueEntry) -> Sku:
    return Sku(
        id=entry.sku_id,
        product_id=entry.product_id,
        title=entry.sku_title,
        description=entry.sku_title,
        minimum_quantity=entry.minimum_quantity,
        maximum_quantity=entry.maximum_quantity,
        supported_billing_cycles=list(entry.billing_cycles),
        purchase_prerequisites=[],
        provisioning_variables=[],
        dynamic_attributes={"isSoftwareSubscription": entry.kind is Kind.SUBSCRIPTION},
        attributes={"objectType": "Sku"},
    )


def availability(entry: CatalogueEntry, generation: int, country: str) -> Availability:
    """The availability of catalogue `generation`; priced in EUR outside the US (demo)."""
    aid = availability_id(entry, generation)
    currency = "USD" if country.upper() == "US" else "EUR"
    return Availability(
        id=aid,
        product_id=entry.product_id,
        sku_id=entry.sku_id,
        catalog_item_id=str(CatalogItemId(entry.product_id, entry.sku_id, aid)),
        default_currency=Currency(code=currency, symbol="$" if currency == "USD" else "€"),
        segment="commercial",
        country=country.upper(),
        is_purchasable=True,
        is_renewable=bool(entry.terms),
        terms=[Term(duration=t, description=TERM_WORDS.get(t, t)) for t in entry.terms],
        attributes={"objectType": "Availability"},
    )


def known_item(catalog_item_id: str, current: int) -> tuple[CatalogueEntry, bool] | None:
    """The entry of an id and whether it is of the `current` generation; None when it never
    existed."""
    try:
        item = CatalogItemId.parse(catalog_item_id)
    except ValueError:
        return None
    entry = ENTRIES.get((item.product_id, item.sku_id))
    if entry is None:
        return None
    for generation in range(current, -1, -1):
        if availability_id(entry, generation) == item.availability_id:
            return entry, generation == current
    return None


def cart_lines(
    currency: str, generation: int, lines: Sequence[CartLineItem]
) -> list[CartLineItem]:
    """The lines of a cart as Partner Center keeps them, each checked against the catalogue
    (`sandbox_rules.check_line`), numbered 0..n-1, with `currencyCode` and `orderGroup`
    (one group for perpetual lines, one for the rest: inferred grouping)."""
    if not lines:
        raise errors.BadRequest(description="A cart needs at least one line item.")
    made = []
    for number, line in enumerate(lines):
        known = known_item(line.catalog_item_id, generation)
        cycle = None if line.billing_cycle is None else str(line.billing_cycle)
        rules.check_line(
            known[0] if known else None,
            line.catalog_item_id,
            line.quantity,
            cycle,
            line.term_duration,
        )
        group = "0" if cycle == "one_time" else "1"
        made.append(
            line.model_copy(update={"id": number, "currency_code": currency, "order_group": group})
        )
    return made
