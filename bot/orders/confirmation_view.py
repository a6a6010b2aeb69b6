"""The words of an order as the requester confirms it and approvers see it: each line with its
unit price and monthly total from the price book, the group or the new group's contact, and what
happens next. Pure: a parsed form and a checked plan in, a `Confirmation` out.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.blocks import escape
from bot.core.i18n import _
from bot.orders.form import NewGroupOrderForm, OrderForm
from bot.pipeline.confirmation import Confirmation, Deadline
from bot.policy import Decision
from bot.reference.countries import COUNTRIES
from bot.reference.pricing import describe

if TYPE_CHECKING:  # bot.orders.plans builds its confirmation with this module
    from bot.orders.plans import OrderPlan


def order_confirmation(
    form: OrderForm, plan: OrderPlan, decision: Decision, deadline: datetime | None
) -> Confirmation:
    """The words of an order: each line with its price, the group, the contact, what's next."""
    rows: list[tuple[str, str]] = []
    if isinstance(form, NewGroupOrderForm):
        title = _("Confirm new group")
        intro = _(
            "A *new license group* for {name}: please check every detail.",
            name=escape(form.display_name or f"{form.first_name} {form.last_name}"),
        )
        contact = form.contact
        rows += [
            (_("MPN ID"), form.mpn_id),
            (
                _("Subdomain"),
                f"{form.subdomain}.onmicrosoft.com" if form.subdomain else _("chosen by OVHcloud"),
            ),
            (
                _("Contact"),
                "\n".join(
                    escape(x)
                    for x in (
                        f"{contact.first_name} {contact.last_name}",
                        contact.email,
                        contact.phone,
                        contact.address,
                        f"{contact.zip_code} {contact.city}",
                        COUNTRIES.get(contact.country, contact.country),
                    )
                ),
            ),
        ]
        next_step = _(
            "What happens next: OVHcloud creates the license group with these licenses "
            "and Microsoft emails the admin credentials to {email}; the status card "
            "follows the order until the group is ready.",
            email=escape(form.email),
        )
    else:
        title = _("Confirm order")
        intro = _(
            "Licenses for *{group}*: please check before confirming.", group=escape(plan.group)
        )
        rows.append((_("License group"), f"{escape(plan.group)}\n`{form.tenant}`"))
        next_step = _(
            "What happens next: each line goes to OVHcloud as its own order and is "
            "followed until it is done; the status card shows every line. If one "
            "fails, the others stay ordered, and a line that went through is never "
            "sent again."
        )
    several = len(plan.lines) > 1
    for number, priced in enumerate(plan.lines, start=1):
        label = _("License {n}", n=number) if several else _("License")
        rows.append((label, escape(priced.text())))
    total = describe(plan.monthly)
    if plan.unpriced and plan.monthly is not None:
        total = _("{total} (priced lines only)", total=total)
    rows.append((_("Monthly total"), total))
    if form.note:
        rows.append((_("Note"), escape(form.note)))
    if decision.needs_approval:
        next_step = _(
            "A support agent reviews the order first: nothing is sent before they approve. "
            "{next_step}",
            next_step=next_step,
        )
    deadlines = [Deadline(_("Approval deadline"), deadline)] if deadline else []
    return Confirmation.of(
        title,
        rows,
        decision=decision,
        notes=plan.notes,
        deadlines=deadlines,
        intro=intro,
        next_step=next_step,
    )
