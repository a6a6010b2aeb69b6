"""Ordering a new license group through OVHcloud's generic order cart, and reading the order.

Cart (`ovhSubsidiary` of the account, `GET /me`) → assign → the csp2 catalogue, in the shape it
offers (`cart_catalogue`) → items → every item's `requiredConfiguration`, filled by type
(`cart_config`) → `GET checkout` (OVHcloud validates the cart) → `POST checkout`. Sources:
OVHcloud's order and /me schemas (UrielCh/api-ovh-node `code/gen/models/ovh-api/order.ts`,
`me.ts`) and ovh/order-cart-examples (README, docs/configuration.en.md).

Nothing outside the cart is written before every required label is known to be fillable: a
label the bot cannot fill stops the order before any contact is created or anything ordered.
Every failure before the checkout is marked `nothing_ordered` (sending again is safe) and the
cart is deleted (best effort; OVHcloud expires carts anyway). The checkout is sent once; it is
paid with the account's preferred payment method only with `OvhProvider(auto_pay=True)`,
otherwise the order waits for payment at its URL.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.core.domain import NewTenantOrder, TenantOrder
from bot.provider import cart_catalogue as catalogue
from bot.provider import cart_config
from bot.provider.base import (
    BadParameters,
    NotFound,
    ProviderError,
    UnfillableConfiguration,
    named_domains,
)
from bot.provider.cart_catalogue import CartPlan, Offer

if TYPE_CHECKING:
    from bot.provider.ovh import OvhProvider

log = logging.getLogger(__name__)

#: Order details read to find the service an order delivered.
MAX_ORDER_DETAILS = 20


def _seg(value: object) -> str:
    return quote(str(value), safe="")


class CartOrder:
    """One order of one new license group, through one cart."""

    def __init__(self, api: OvhProvider, order: NewTenantOrder) -> None:
        self.api = api
        self.order = order

    async def place(self) -> TenantOrder:
        api = self.api
        path = None
        try:
            subsidiary = await api.subsidiary()
            cart = await api.call(
                "POST", "/order/cart",
                {"ovhSubsidiary": subsidiary, "description": "csp-bot: new license group"},
            )  # fmt: skip
            path = f"/order/cart/{_seg(cart['cartId'])}"
            await api.call("POST", f"{path}/assign")
            plan = await self.plan(path)
            items = await self.fill(path, plan)
            await self.configure(path, items)
            await api.call("GET", f"{path}/checkout")  # OVHcloud checks the cart; nothing ordered
        except ProviderError as err:
            err.nothing_ordered = True
            await self.drop(path)
            raise
        except (KeyError, TypeError, ValueError) as exc:  # an answer shaped unlike the schema
            await self.drop(path)
            unreadable = ProviderError(
                f"OVHcloud's order cart answered what the bot cannot read: {exc!r}")
            unreadable.nothing_ordered = True
            raise unreadable from exc
        body = {"autoPayWithPreferredPaymentMethod": api.auto_pay, "waiveRetractationPeriod": False}
        try:
            result = await api.call("POST", f"{path}/checkout", body)
        except ProviderError:
            await self.drop(path)  # refused: the cart is still ours; answered or not, never resent
            raise
        return checkout_result(result)

    async def plan(self, path: str) -> CartPlan:
        """Reads the catalogue and chooses the cart's shape (see `cart_catalogue.choose`)."""
        api, lines = self.api, self.order.licenses
        offers = catalogue.offers_of(await api.call("GET", f"{path}/csp2"))
        names = await self.license_names()
        plan_codes = catalogue.plan_code_map(api.plan_codes)
        probed = catalogue.group_offer_candidates(offers, lines, names, plan_codes)
        answers = await asyncio.gather(*(self.options(path, o) for o in probed))
        options = {o.plan_code: found for o, found in zip(probed, answers, strict=True)}
        return catalogue.choose(lines, offers, options, names, plan_codes)

    async def options(self, path: str, offer: Offer) -> list[Offer]:
        """A main offer's options; none when OVHcloud says the offer takes none (inferred: a
        400 or 404 for a plan code without options)."""
        try:
            answer = await self.api.call(
                "GET", f"{path}/csp2/options", query={"planCode": offer.plan_code}
            )
        except (BadParameters, NotFound):
            return []
        return catalogue.offers_of(answer)

    async def license_names(self) -> dict[int, str]:
        wanted = {line.license_id for line in self.order.licenses}
        names = await self.api.license_names()
        return {lid: names[lid] for lid in wanted if lid in names}

    async def fill(self, path: str, plan: CartPlan) -> list[str]:
        """Puts the order in the cart; returns the paths of the items it made."""
        api, items = self.api, []
        if plan.main is None:
            for line, offer in plan.lines:
                made = await api.call("POST", f"{path}/csp2", offer.item(line.quantity))
                items.append(made["itemId"])
        else:  # the license group is one item, each licence one of its options
            main = (await api.call("POST", f"{path}/csp2", plan.main.item(1)))["itemId"]
            items.append(main)
            for line, offer in plan.lines:
                body = {"itemId": main, **offer.item(line.quantity)}
                items.append((await api.call("POST", f"{path}/csp2/options", body))["itemId"])
        return [f"{path}/item/{_seg(item)}" for item in items]

    async def configure(self, path: str, items: list[str]) -> None:
        """Fills every item's configuration, after checking that every required label can be:
        until then nothing is written outside the cart."""
        wanted: list[tuple[str, cart_config.Fill]] = []
        gaps: list[cart_config.Gap] = []
        for item in items:
            try:
                answer = await self.api.call("GET", f"{item}/requiredConfiguration")
            except NotFound:
                answer = []
            reqs = [cart_config.Requirement.model_validate(r) for r in answer or []]
            fills, missing = cart_config.plan(self.order, reqs)
            wanted += [(item, f) for f in fills]
            gaps += [g for g in missing if g.label not in {x.label for x in gaps}]
        if gaps:
            raise UnfillableConfiguration(gaps, status=400)
        contact_path: str | None = None
        for item, fill in wanted:
            value = fill.value
            if fill.contact is not None:
                if contact_path is None:  # one contact serves every label that asks for it
                    created = await self.api.call("POST", "/me/contact", fill.contact)
                    contact_path = cart_config.contact_value(created["id"])
                value = contact_path
            await self.api.call(
                "POST", f"{item}/configuration", {"label": fill.label, "value": value}
            )

    async def drop(self, path: str | None) -> None:
        if path is None:
            return
        try:
            await self.api.call("DELETE", path)
        except ProviderError as err:
            log.info("Could not delete the abandoned cart %s: %s", path, err)


def checkout_result(answer: Any) -> TenantOrder:
    """`order.Order` as the bot keeps it; `orderId` and `url` may be null (schema)."""
    answer = answer if isinstance(answer, dict) else {}
    order_id = answer.get("orderId")
    details = answer.get("details") if isinstance(answer.get("details"), list) else []
    return TenantOrder(
        order_id=int(order_id) if isinstance(order_id, int) else None,
        url=answer.get("url") or None,
        domains=named_domains(d.get("domain") for d in details if isinstance(d, dict)),
    )


async def order_status(api: OvhProvider, order_id: int) -> str:
    answer = await api.call("GET", f"/me/order/{int(order_id)}/status")
    return str(answer or "unknown")


async def order_domains(api: OvhProvider, order_id: int) -> list[str]:
    ids = await api.call("GET", f"/me/order/{int(order_id)}/details") or []
    details = await asyncio.gather(
        *(
            api.call("GET", f"/me/order/{int(order_id)}/details/{int(i)}")
            for i in list(ids)[:MAX_ORDER_DETAILS]
        )
    )
    return named_domains(d.get("domain") for d in details if isinstance(d, dict))
