"""Which csp2 offers of OVHcloud's order cart carry an order's licences, and in which shape.

OVHcloud's order schema (UrielCh/api-ovh-node `code/gen/models/ovh-api/order.ts`) models csp2
as main offers (`GET /order/cart/{cartId}/csp2` → `order.cart.GenericProductDefinition[]`)
that may take options (`GET …/csp2/options?planCode=<main offer>` →
`order.cart.GenericOptionDefinition[]`, added with `POST …/csp2/options {itemId, planCode,
duration, pricingMode, quantity}`). Whether the licences are the options of one license-group
offer or offers of their own is not published, nor are the plan codes: both shapes are built
for, and a licence is matched to a plan code by inference (see `offer_for`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.domain import LicenseLine
from bot.provider.base import BadParameters
from bot.provider.cart_config import normalize_label

#: Main offers whose options are read when looking for the license-group offer.
MAX_PROBED_OFFERS = 8


@dataclass(frozen=True)
class Offer:
    """A main offer or an option: its plan code, name, and the pricing to order it with."""

    plan_code: str
    product_name: str
    duration: str = "P1M"
    pricing_mode: str = "default"

    @classmethod
    def from_wire(cls, data: Any) -> Offer | None:
        if not isinstance(data, dict) or not data.get("planCode"):
            return None
        duration, mode = _pricing(data)
        name = data.get("productName") or ""
        return cls(str(data["planCode"]), str(name), duration, mode)

    def item(self, quantity: int) -> dict[str, Any]:
        """The body that puts this offer in a cart (`GenericProductCreation`)."""
        return {
            "planCode": self.plan_code,
            "duration": self.duration,
            "pricingMode": self.pricing_mode,
            "quantity": quantity,
        }


def offers_of(answer: Any) -> list[Offer]:
    return [o for o in map(Offer.from_wire, answer or []) if o is not None]


@dataclass(frozen=True)
class CartPlan:
    """How an order goes into the cart: `main` is the license-group offer its licences are
    options of, or None for one item per licence; `lines` pair each line with its offer."""

    main: Offer | None
    lines: list[tuple[LicenseLine, Offer]]


def plan_code_map(raw: Mapping[str, str] | None) -> dict[str, str]:
    """The operator's map (licence id or name → plan code) with its keys as `offer_for` looks
    them up: ids as digits, names normalised like cart labels."""
    result: dict[str, str] = {}
    for key, code in (raw or {}).items():
        text = str(key).strip()
        result[text if text.isdigit() else normalize_label(text)] = str(code)
    return result


def offer_for(
    license_id: int, name: str, offers: Sequence[Offer], plan_codes: Mapping[str, str]
) -> Offer | None:
    """The offer that sells a licence, inferred in this order: (1) the operator's plan-code
    map (by id, then by name); (2) an offer whose planCode holds the licence id as a token;
    (3) an offer whose productName is the licence's name (case and punctuation ignored)."""
    by_code = {o.plan_code: o for o in offers}
    mapped = plan_codes.get(str(license_id)) or (name and plan_codes.get(normalize_label(name)))
    if mapped:
        return by_code.get(mapped)
    token = re.compile(rf"(^|\D){license_id}(\D|$)")
    found = next((o for o in offers if token.search(o.plan_code)), None)
    wanted = normalize_label(name)
    return found or next(
        (o for o in offers if wanted and normalize_label(o.product_name) == wanted), None
    )


def match_lines(
    lines: Sequence[LicenseLine],
    offers: Sequence[Offer],
    names: Mapping[int, str],
    plan_codes: Mapping[str, str],
) -> tuple[list[tuple[LicenseLine, Offer]], list[int]]:
    """Each line with its offer, and the licence ids no offer sells."""
    matched, unmatched = [], []
    for line in lines:
        offer = offer_for(line.license_id, names.get(line.license_id, ""), offers, plan_codes)
        if offer is None:
            unmatched.append(line.license_id)
        else:
            matched.append((line, offer))
    return matched, list(dict.fromkeys(unmatched))


def group_offer_candidates(
    offers: Sequence[Offer],
    lines: Sequence[LicenseLine],
    names: Mapping[int, str],
    plan_codes: Mapping[str, str],
) -> list[Offer]:
    """Main offers that may be the license-group offer: those no ordered licence maps to,
    the first MAX_PROBED_OFFERS of them (their options are read, one call each)."""
    taken = {o.plan_code for _, o in match_lines(lines, offers, names, plan_codes)[0]}
    return [o for o in offers if o.plan_code not in taken][:MAX_PROBED_OFFERS]


def choose(
    lines: Sequence[LicenseLine],
    offers: Sequence[Offer],
    options: Mapping[str, Sequence[Offer]],
    names: Mapping[int, str],
    plan_codes: Mapping[str, str],
) -> CartPlan:
    """The shape the catalogue offers: the licences as options of the first main offer whose
    options sell them all; else one item per licence when the main offers sell them all.
    Raises BadParameters naming the licences that the closest shape lacks, and the plan codes
    seen, so an operator can set CSP_OVH_PLAN_CODES."""
    closest: list[int] | None = None
    for main in offers:
        choices = options.get(main.plan_code) or []
        if not choices:
            continue
        matched, unmatched = match_lines(lines, choices, names, plan_codes)
        if not unmatched:
            return CartPlan(main, matched)
        closest = unmatched if closest is None or len(unmatched) < len(closest) else closest
    matched, unmatched = match_lines(lines, offers, names, plan_codes)
    if not unmatched:
        return CartPlan(None, matched)
    if closest is not None and len(closest) < len(unmatched):
        unmatched = closest
    seen = [*offers, *(o for choices in options.values() for o in choices)]
    codes = sorted({o.plan_code for o in seen})
    named = ", ".join(f"{lid} ({names[lid]})" if names.get(lid) else str(lid) for lid in unmatched)
    raise BadParameters(
        f"OVHcloud's order cart sells no csp2 plan the bot recognises for license(s) {named}; "
        f"its plan codes are: {', '.join(codes) or 'none'}. Map them in CSP_OVH_PLAN_CODES."
    )


def _pricing(offer: Mapping[str, Any]) -> tuple[str, str]:
    """The monthly default pricing if offered, else the first one listed."""
    prices = [p for p in offer.get("prices") or [] if isinstance(p, dict)]
    preferred = [p for p in prices if p.get("pricingMode") == "default"] or prices
    monthly = [p for p in preferred if p.get("duration") == "P1M"] or preferred
    if not monthly:
        return "P1M", "default"
    return monthly[0].get("duration") or "P1M", monthly[0].get("pricingMode") or "default"
