"""The blocks every one-subscription modal starts with: the license group, the subscription
(both typeahead, from the cache), and what the cache knows about the chosen subscription.

The selects dispatch an action when changed, so the flow can rebuild the modal for the new
choice (`views.update`); the subscription select's block_id follows `ChoiceRef.generation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    SectionBlock,
)

from bot.core.blocks import date_token, escape, mrkdwn, plain
from bot.core.i18n import _
from bot.core.ids import BlockId, OptionsAction, SubscriptionChoiceBlock
from bot.policy.status import status_label
from bot.tenants.subscription_choice import ChoiceRef, SubscriptionFacts
from bot.terms.views import term_words
from store.cache import CachedSubscription, CachedTenant

OPTION_TEXT_LIMIT = 75


def tenant_option(tenant: CachedTenant) -> Option:
    label = tenant.service_name
    if tenant.display_name:
        label = f"{tenant.display_name} — {tenant.service_name}"
    return Option(text=plain(escape(label), OPTION_TEXT_LIMIT), value=tenant.service_name)


def subscription_option(sub: CachedSubscription) -> Option:
    label = f"{sub.id} · {sub.license_name or sub.license_id} ({_('{n} seats', n=sub.quantity)})"
    return Option(text=plain(escape(label), OPTION_TEXT_LIMIT), value=str(sub.id))


def choice_blocks(
    ref: ChoiceRef,
    tenant: CachedTenant | None,
    subscription: CachedSubscription | None,
    *,
    notice: str | None = None,
) -> list[Block]:
    """The group and subscription selects, prefilled with what is already known."""
    blocks: list[Block] = []
    if notice:
        blocks.append(ContextBlock(block_id=SubscriptionChoiceBlock.NOTICE,
                                   elements=[mrkdwn(f":warning: {notice}")]))
    blocks.append(InputBlock(
        block_id=BlockId.TENANT,
        label=plain(_("License group")),
        dispatch_action=True,
        element=ExternalDataSelectElement(
            action_id=OptionsAction.TENANT,
            placeholder=plain(_("Customer or service name")),
            initial_option=tenant_option(tenant) if tenant is not None else None,
            min_query_length=0,
        ),
    ))
    blocks.append(InputBlock(
        block_id=ref.subscription_block,
        label=plain(_("Subscription")),
        dispatch_action=True,
        hint=None if tenant is not None else plain(_("Choose the license group first, or type "
                                                     "a subscription id.")),
        element=ExternalDataSelectElement(
            action_id=OptionsAction.SUBSCRIPTION,
            placeholder=plain(_("License or subscription id")),
            initial_option=subscription_option(subscription) if subscription else None,
            min_query_length=0,
        ),
    ))
    return blocks


def facts_block(facts: SubscriptionFacts, lines: Sequence[str] = (), *,
                now: datetime | None = None) -> SectionBlock:
    """What the cache knows of the chosen subscription (its term at `now`, when given), plus the
    flow's own lines."""
    sub = facts.subscription
    head = _("*{license}* · {n} seats · {status}", license=escape(facts.license_name),
             n=sub.quantity, status=escape(status_label(sub.status)))
    out = [head]
    if sub.creation_date is not None:
        out.append(_("Created {date}", date=date_token(sub.creation_date, "{date_short_pretty}")))
    if now is not None:
        out.append(_("Term: {term}", term=term_words(facts.term(now))))
    if sub.task_pending_id is not None:
        out.append(_(":hourglass: OVHcloud task {task} is still running on it.",
                     task=sub.task_pending_id))
    for request in facts.open_requests[:3]:
        out.append(_(":hourglass: Request {ref} is {state}.", ref=request.ref,
                     state=request.state.value.replace("_", " ")))
    out.extend(lines)
    out.append(_("_As of {date}_", date=date_token(sub.synced_at)))
    return SectionBlock(block_id=SubscriptionChoiceBlock.FACTS, text=mrkdwn("\n".join(out)))
