"""Ordering a new license group through OVHcloud's generic order cart.

Cart → assign → csp2 items → requiredConfiguration → configuration → checkout. OVHcloud
publishes neither the csp2 plan codes nor the configuration labels, so this module reads both
from the cart and refuses, with every reason at once, an order it cannot complete — before it
configures anything. A cart left behind by a failure is deleted (best effort; OVHcloud expires
carts anyway). The checkout is paid automatically only with `OvhProvider(auto_pay=True)`;
otherwise the returned URL leads to the order to pay.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.domain import NewTenantOrder, TenantOrder
from bot.provider.base import BadParameters, ProviderError, UnfillableConfiguration
from bot.provider.cart_config import normalize_label, order_configuration_value

if TYPE_CHECKING:
    from bot.provider.ovh import OvhProvider

log = logging.getLogger(__name__)


class CartOrder:
    """One order of one new license group, through one cart."""

    def __init__(self, api: OvhProvider, order: NewTenantOrder) -> None:
        self.api = api
        self.order = order

    async def place(self) -> TenantOrder:
        api = self.api
        cart = await api.call("POST", "/order/cart", {"ovhSubsidiary": api.ovh_subsidiary})
        path = f"/order/cart/{quote(str(cart['cartId']), safe='')}"
        try:
            await api.call("POST", f"{path}/assign")
            plans = await self.plans(await api.call("GET", f"{path}/csp2") or [])
            item_ids = []
            for line in self.order.licenses:
                plan_code, duration, pricing_mode = plans[line.license_id]
                body = {
                    "planCode": plan_code,
                    "duration": duration,
                    "pricingMode": pricing_mode,
                    "quantity": line.quantity,
                }
                item_ids.append((await api.call("POST", f"{path}/csp2", body))["itemId"])
            await self.configure(path, item_ids)
            body = {"autoPayWithPreferredPaymentMethod": api.auto_pay}
            result = await api.call("POST", f"{path}/checkout", body)
        except Exception:
            await self.drop(path)
            raise
        return TenantOrder(order_id=result["orderId"], url=result.get("url"))

    async def configure(self, path: str, item_ids: list[Any]) -> None:
        """Fill every label we know; refuse if a required one is left, before writing any."""
        wanted: list[tuple[Any, str, str]] = []
        missing: list[str] = []
        for item_id in item_ids:
            item_path = f"{path}/item/{quote(str(item_id), safe='')}"
            for req in await self.api.call("GET", f"{item_path}/requiredConfiguration") or []:
                label = req.get("label", "")
                value = order_configuration_value(self.order, label)
                if value is not None:
                    wanted.append((item_path, label, value))
                elif req.get("required", True) and label not in missing:
                    missing.append(label)
        if missing:
            raise UnfillableConfiguration(missing, status=400)
        for item_path, label, value in wanted:
            await self.api.call(
                "POST", f"{item_path}/configuration", {"label": label, "value": value}
            )

    async def drop(self, path: str) -> None:
        try:
            await self.api.call("DELETE", path)
        except ProviderError as err:
            log.info("Could not delete the abandoned cart %s: %s", path, err)

    async def plans(self, offers: list[dict]) -> dict[int, tuple[str, str, str]]:
        """Map each ordered license id to (planCode, duration, pricingMode).

        How csp2 license ids relate to cart plan codes is not published, so this is an
        inference, tried in order: (1) the operator's `plan_codes`; (2) an offer whose planCode
        contains the license id as a token; (3) an offer whose productName is the license's name
        (names read from the orderable licenses of an existing license group). A license still
        unmapped is refused with the offers listed, so an operator can set `plan_codes`.
        """
        by_code = {o.get("planCode"): o for o in offers}
        result: dict[int, tuple[str, str, str]] = {}
        unmapped: list[int] = []
        for lid in dict.fromkeys(line.license_id for line in self.order.licenses):
            offer = by_code.get(self.api.plan_codes[lid]) if lid in self.api.plan_codes else None
            pattern = re.compile(rf"(^|\D){lid}(\D|$)")
            offer = offer or next(
                (o for o in offers if pattern.search(o.get("planCode", ""))), None
            )
            if offer is None:
                name = normalize_label((await self.api.license_names()).get(lid, ""))
                offer = next(
                    (
                        o
                        for o in offers
                        if name and normalize_label(o.get("productName") or "") == name
                    ),
                    None,
                )
            if offer is None:
                unmapped.append(lid)
            else:
                result[lid] = (offer["planCode"], *_pricing(offer))
        if unmapped:
            codes = ", ".join(sorted(str(c) for c in by_code))
            raise BadParameters(
                f"No csp2 plan code found for license(s) {unmapped}; the offers are: {codes}"
            )
        return result


def _pricing(offer: Mapping[str, Any]) -> tuple[str, str]:
    """The monthly default pricing if offered, else the first one listed."""
    prices = [p for p in offer.get("prices") or [] if isinstance(p, dict)]
    preferred = [p for p in prices if p.get("pricingMode") == "default"] or prices
    monthly = [p for p in preferred if p.get("duration") == "P1M"] or preferred
    if not monthly:
        return "P1M", "default"
    return monthly[0].get("duration") or "P1M", monthly[0].get("pricingMode") or "default"
