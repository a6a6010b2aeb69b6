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

from bot.provider.base import ProviderError
from bot.provider.ovh import OvhProvider

#: Offers whose options and required configuration are read (one cart item each).
MAX_OFFERS = 25
#: License groups read at once.
GROUP_CONCURRENCY = 4


@dataclass
class Label:
    label: str
    type: str
    required: bool


@dataclass
class Offer:
    """One csp2 offer of the order cart, its options and what an item of it must be told."""

    plan_code: str
    product_name: str
    pricing: tuple[str, str]  # (duration, pricingMode) an item was added with
    options: list[str] | None = None  # option plan codes; None when they could not be read
    options_error: str | None = None
    labels: list[Label] = field(default_factory=list)
    labels_error: str | None = None


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
    offers: list[Offer] = field(default_factory=list)
    cart_error: str | None = None


def task_pending_kind(raw: dict) -> str:
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


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


async def _read_catalogue(api: OvhProvider, details: AccountDetails, max_offers: int) -> None:
    details.subsidiary, details.subsidiary_from = await _subsidiary(api)
    try:
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
        for raw in (await api.call("GET", f"{path}/csp2") or [])[:max_offers]:
            details.offers.append(await _read_offer(api, path, raw))
    except ProviderError as err:
        details.cart_error = f"cannot read the csp2 offers: {err}"
    finally:
        try:
            await api.call("DELETE", path)
        except ProviderError as err:
            details.cart_error = (details.cart_error or "") + f" (the cart was not deleted: {err})"


async def _subsidiary(api: OvhProvider) -> tuple[str, str]:
    """The account's own subsidiary (GET /me), else the configured one."""
    try:
        me = await api.call("GET", "/me")
    except ProviderError:
        me = None
    if isinstance(me, dict) and me.get("ovhSubsidiary"):
        return str(me["ovhSubsidiary"]), "GET /me"
    return api.ovh_subsidiary, "the configuration"


async def _read_offer(api: OvhProvider, path: str, raw: dict) -> Offer:
    offer = Offer(str(raw.get("planCode")), str(raw.get("productName") or ""), _pricing(raw))
    try:
        found = await api.call("GET", f"{path}/csp2/options", query={"planCode": offer.plan_code})
        offer.options = [str(o.get("planCode")) for o in found or [] if isinstance(o, dict)]
    except ProviderError as err:
        offer.options_error = str(err)
    duration, mode = offer.pricing
    body = {"planCode": offer.plan_code, "duration": duration, "pricingMode": mode, "quantity": 1}
    try:
        item = await api.call("POST", f"{path}/csp2", body)
        item_path = f"{path}/item/{quote(str(item.get('itemId')), safe='')}"
        for req in await api.call("GET", f"{item_path}/requiredConfiguration") or []:
            offer.labels.append(
                Label(str(req.get("label")), str(req.get("type")), bool(req.get("required")))
            )
    except ProviderError as err:
        offer.labels_error = str(err)
    return offer


def _pricing(raw: dict) -> tuple[str, str]:
    """The first (duration, pricingMode) the offer lists, monthly default preferred."""
    prices = [p for p in raw.get("prices") or [] if isinstance(p, dict)]
    prices.sort(key=lambda p: (p.get("pricingMode") != "default", p.get("duration") != "P1M"))
    first = prices[0] if prices else {}
    return str(first.get("duration") or "P1M"), str(first.get("pricingMode") or "default")
