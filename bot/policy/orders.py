"""Orders: where licenses may be ordered, how many, add-ons on which subscription, and
when a large order waits for a support agent."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

from bot.core.domain import License, Subscription
from bot.core.i18n import _, ngettext
from bot.policy.decision import Decision
from bot.policy.status import in_service
from bot.reference.pricing import Money


def order_group(status: str, label: str, mpn_issue_flag: str | None = None) -> Decision:
    """Licenses can be ordered only in a license group that is up and running."""
    if status != "ok":
        return Decision.refuse(
            _("{group} is {status} right now: no licenses can be ordered in it.",
              group=label, status=status),
            field="tenant",
        )
    notes = []
    if mpn_issue_flag:
        notes.append(_("OVHcloud reports an MPN issue on {group} ({flag}): Microsoft may refuse "
                       "the order until the MPN ID is fixed.", group=label, flag=mpn_issue_flag))
    return Decision.allow(notes=notes)


def order_line(lic: License | None, quantity: int, seats_before: int, group: str,
               on_the_way: int = 0) -> Decision:
    """May `quantity` seats of `lic` be ordered in a group that already has `seats_before`
    seats of it (its subscriptions plus the earlier lines of the same order)?
    `on_the_way`: seats of it that other confirmed, unfinished requests will add — the provider
    counts them against the limit before this order arrives.
    `lic` is None when the group does not offer the license at all."""
    if lic is None:
        return Decision.refuse(
            _("This license can't be ordered in {group}: choose one from the list.", group=group),
            field="license",
        )
    if not lic.new_subscriptions_allowed:
        return Decision.refuse(
            _("{name} is closed to new subscriptions in {group}; existing ones can still "
              "change seats.", name=lic.name, group=group),
            field="license",
        )
    if lic.limit is not None and seats_before + on_the_way + quantity > lic.limit:
        left = max(lic.limit - seats_before - on_the_way, 0)
        if on_the_way:
            reason = _("{name} is limited to {limit} licenses in {group}, which has {have}, "
                       "and {coming}: at most {left} more can be ordered.",
                       name=lic.name, limit=lic.limit, group=group, have=seats_before,
                       coming=seats_on_the_way(on_the_way), left=left)
        else:
            reason = _("{name} is limited to {limit} licenses in {group}, which has {have}: at "
                       "most {left} more can be ordered.",
                       name=lic.name, limit=lic.limit, group=group, have=seats_before, left=left)
        return Decision.refuse(reason, field="quantity")
    return Decision.allow()


def seats_on_the_way(n: int) -> str:
    """The words for seats that confirmed, unfinished requests will add (orders and seats)."""
    return ngettext("{n} seat is already on its way in another request",
                    "{n} seats are already on their way in other requests", n)


def addon_parents(
    addon: License,
    subscriptions: Sequence[Subscription],
    licenses: Mapping[int, License],
    parent_of: Mapping[int, int | None],
    available: Mapping[int, Collection[int] | None],
) -> list[Subscription]:
    """The subscriptions an add-on may be attached to: main (non add-on) subscriptions in
    service whose `availableAddonLicenses` (as the last sync read them, `available`: id →
    license ids, None when not read yet) list it. OVHcloud takes `orderAddon` only for those, so
    the bot never sends another."""
    if not addon.is_addon:
        return []
    return [sub for sub in main_subscriptions(subscriptions, licenses, parent_of)
            if addon.id in (available.get(sub.id) or ())]


def main_subscriptions(
    subscriptions: Sequence[Subscription],
    licenses: Mapping[int, License],
    parent_of: Mapping[int, int | None],
) -> list[Subscription]:
    """Subscriptions that could carry an add-on at all: not add-ons themselves, in service."""
    out = []
    for sub in subscriptions:
        lic = licenses.get(sub.license_id)
        if parent_of.get(sub.id) is not None or (lic is not None and lic.is_addon):
            continue
        if in_service(sub.status):
            out.append(sub)
    return out


def addon_line(addon: License, parent_id: int | None, allowed: Collection[int], *,
               group: str = "", unread: bool = False) -> Decision:
    """An add-on is ordered on a parent subscription of the same group that may take it
    (`allowed`: ids, from `addon_parents`). `unread`: some main subscription of the group has
    no eligibility read yet, so a sync may find more parents."""
    group = group or _("this group")
    if not allowed:
        if unread:
            reason = _("The bot has not read yet which add-ons the subscriptions of {group} can "
                       "take: run `/csp sync`, then choose {name} again.",
                       group=group, name=addon.name)
        else:
            reason = _("No subscription of {group} can take {name}: OVHcloud offers it on none "
                       "of them. Order a main license it goes with first.",
                       group=group, name=addon.name)
        return Decision.refuse(reason, field="license")
    if parent_id is None:
        return Decision.refuse(
            _("{name} is an add-on: choose the subscription it attaches to.", name=addon.name),
            field="parent",
        )
    if parent_id not in allowed:
        return Decision.refuse(
            ngettext("Subscription {id} can't take {name}: OVHcloud offers it only on "
                     "subscription {ids}.",
                     "Subscription {id} can't take {name}: OVHcloud offers it only on "
                     "subscriptions {ids}.", len(allowed),
                     id=parent_id, name=addon.name, ids=", ".join(map(str, sorted(allowed)))),
            field="parent",
        )
    return Decision.allow()


def order_approval(seats: int, monthly: Money | None, unpriced_lines: int,
                   seat_threshold: int, amount_threshold: Decimal) -> Decision:
    """Large orders wait for a support agent: more than `seat_threshold` licenses, or more
    than `amount_threshold` a month (priced lines only; an unknown price is never a guess)."""
    reasons = []
    if seats > seat_threshold:
        reasons.append(_("{n} licenses (more than {limit})", n=seats, limit=seat_threshold))
    if monthly is not None and monthly.amount > amount_threshold:
        reasons.append(_("{amount} a month (more than {limit} {currency})", amount=monthly,
                         limit=f"{amount_threshold:,.2f}", currency=monthly.currency))
    notes = []
    if reasons:
        notes.append(_("A support agent must approve this order before it is sent: {why}.",
                       why=_(" and ").join(reasons)))
    if unpriced_lines:
        notes.append(ngettext(
            "{n} line has no price in the price book: the monthly total leaves it out.",
            "{n} lines have no price in the price book: the monthly total leaves them out.",
            unpriced_lines))
    return Decision.allow(notes=notes, needs_approval=bool(reasons))
