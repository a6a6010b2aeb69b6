"""What the bot sees on an operator's OVHcloud account, read only: `csp-bot check
--provider-details`.

OVHcloud publishes neither the values of `OfficeSubscription.status`, nor how `taskPendingId`
reads when idle beyond its type, nor whether batch reads keep working, nor the csp2 plan codes
and cart labels. The bot is built for every plausible reading (see `sandbox_conventions`); this
report shows which one the operator's account uses, from the raw JSON, so a difference can be
reported. It changes nothing: it reads, and the one cart it creates to read the catalogue is
never assigned nor checked out, and is deleted at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from bot.core.domain import CustomerContact, LicenseLine, NewTenantOrder
from bot.provider.base import ProviderError
from bot.provider.cart_catalogue import Offer, offers_of
from bot.provider.cart_config import Gap, Requirement, fill
from bot.provider.ovh import OvhProvider

#: Offers whose options and required configuration are read (one cart item each).
MAX_OFFERS = 25
#: License groups read at once.
GROUP_CONCURRENCY = 4


@dataclass
class OfferDetails:
    """One csp2 offer of the order cart, its options and what an item of it must be told."""

    offer: Offer
    options: list[Offer] | None = None  # None when they could not be read
    options_error: str | None = None
    requirements: list[Requirement] = field(default_factory=list)
    requirements_error: str | None = None

    def gaps(self) -> list[Gap]:
        """Required labels no order the form can make would fill (`cart_config.fill`)."""
        return [g for r in self.requirements if isinstance(g := fill(FULL_ORDER, r), Gap)]


#: An order with every fact the order form can collect: what `gaps` measures against.
FULL_ORDER = NewTenantOrder(
    mpn_id="1234567", subdomain="example", display_name="Example Ltd",
    contact=CustomerContact(first_name="A", last_name="B", email="a@example.com",
                            phone="+33100000000", address="1 rue", city="Paris",
                            zip_code="75001", country="FR"),
    licenses=[LicenseLine(license_id=1, quantity=1)],
)  # fmt: skip


@dataclass
class AccountDetails:
    groups: int = 0
    group_statuses: Counter[str] = field(default_factory=Counter)
    subscriptions: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    #: "0", "non-zero", "null", "missing" → how many subscriptions said so
    task_pending: Counter[str] = field(default_factory=Counter)
    licence_types: Counter[str] = field(default_factory=Counter)
    batch_reads_off: str | None = None
    errors: list[str] = field(default_factory=list)
    subsidiary: str = ""
    subsidiary_from: str = ""
    offers: list[OfferDetails] = field(default_factory=list)
    cart_error: str | None = None


def task_pending_kind(raw: dict[str, Any]) -> str:
    if "taskPendingId" not in raw:
        return "missing"
    value = raw["taskPendingId"]
    if value is None:
        return "null"
    return "0" if value in (0, "0") else "non-zero"


async def read_account_details(api: OvhProvider, *, max_offers: int = MAX_OFFERS) -> AccountDetails:
    """Reads every license group's subscriptions and licences as raw JSON, then the cart's
    csp2 catalogue. Failures are recorded, never raised, except when nothing can be listed."""
    details = AccountDetails()
    api.retry_batch_reads()  # see whether batch reads work today
    names = list(await api.call("GET", "/saas/csp2") or [])
    details.groups = len(names)
    licence_types: dict[int, str] = {}
    gate = asyncio.Semaphore(GROUP_CONCURRENCY)

    async def one(sn: str) -> None:
        async with gate:
            try:
                await _read_group(api, sn, details, licence_types)
            except ProviderError as err:
                details.errors.append(f"{sn}: {err}")

    await asyncio.gather(*(one(sn) for sn in names))
    details.licence_types = Counter(licence_types.values())
    details.batch_reads_off = api.batch_reads_off()
    await _read_catalogue(api, details, max_offers)
    return details


async def _read_group(
    api: OvhProvider, sn: str, details: AccountDetails, licence_types: dict[int, str]
) -> None:
    base = f"/saas/csp2/{quote(sn, safe='')}"
    tenant = await api.call("GET", base) or {}
    details.group_statuses[str(tenant.get("status"))] += 1
    ids = await api.call("GET", f"{base}/subscription") or []
    for raw in await api.batch.read(f"{base}/subscription", ids, _as_dict):
        details.subscriptions += 1
        details.statuses[str(raw.get("status"))] += 1
        details.task_pending[task_pending_kind(raw)] += 1
    lic_ids = await api.call("GET", f"{base}/orderableLicenses") or []
    for raw in await api.batch.read(f"{base}/orderableLicenses", lic_ids, _as_dict):
        if isinstance(raw.get("id"), int):
            licence_types[raw["id"]] = str(raw.get("licenceType"))


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def _read_catalogue(api: OvhProvider, details: AccountDetails, max_offers: int) -> None:
    details.subsidiary_from = "OVH_SUBSIDIARY" if api.ovh_subsidiary else "GET /me"
    try:
        details.subsidiary = await api.subsidiary()
        cart = await api.call(
            "POST",
            "/order/cart",
            {"ovhSubsidiary": details.subsidiary,
             "description": "csp-bot check --provider-details (read only, deleted at once)"},
        )
    except ProviderError as err:
        details.cart_error = f"cannot create a cart: {err}"
        return
    path = f"/order/cart/{quote(str(cart.get('cartId')), safe='')}"
    try:
        for offer in offers_of(await api.call("GET", f"{path}/csp2"))[:max_offers]:
            details.offers.append(await _read_offer(api, path, offer))
    except ProviderError as err:
        details.cart_error = f"cannot read the csp2 offers: {err}"
    finally:
        try:
            await api.call("DELETE", path)
        except ProviderError as err:
            details.cart_error = (details.cart_error or "") + f" (the cart was not deleted: {err})"


async def _read_offer(api: OvhProvider, path: str, offer: Offer) -> OfferDetails:
    read = OfferDetails(offer)
    try:
        found = await api.call("GET", f"{path}/csp2/options", query={"planCode": offer.plan_code})
        read.options = offers_of(found)
    except ProviderError as err:
        read.options_error = str(err)
    try:
        item = await api.call("POST", f"{path}/csp2", offer.item(1))
        item_path = f"{path}/item/{quote(str(item.get('itemId')), safe='')}"
        answer = await api.call("GET", f"{item_path}/requiredConfiguration") or []
        read.requirements = [Requirement.model_validate(r) for r in answer if isinstance(r, dict)]
    except (ProviderError, ValidationError) as err:
        read.requirements_error = str(err)
    return read
