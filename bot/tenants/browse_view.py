"""Browsing messages: license groups, a group's subscriptions, provider tasks.

Every listing starts with how fresh it is ("as of", in each viewer's time zone) and, when the
provider could not be read, says so and why; it ends with Previous / Next / Refresh. A page
stays well inside Slack's 50 blocks per message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    Option,
    OverflowMenuElement,
    SectionBlock,
)

from bot import policy
from bot.cache.sync import SyncReport
from bot.core.blocks import context, date_token, escape, mrkdwn, plain, section
from bot.core.formats import number
from bot.core.i18n import _, ngettext
from bot.core.ids import BrowseAction, SubscriptionAction
from bot.policy.terms import Term
from bot.reference import codes
from bot.reference.codes import CodeKind
from bot.tenants.browse import (
    BrowseRef,
    Freshness,
    Page,
    SubscriptionsListing,
    TasksListing,
    TenantsListing,
)
from bot.terms.views import term_words
from store.cache import CachedSubscription, CachedTask, TenantSummary

T = TypeVar("T")

MESSAGE_BLOCK_LIMIT = 50
SECTION_TEXT_LIMIT = 3000
#: Icons by `policy.status_key`; a status in neither list (in service, but a word we do not
#: know) gets a white circle and is shown as it is.
STATUS_ICONS = {
    "ok": ":large_green_circle:",
    "active": ":large_green_circle:",
    "inmaintenance": ":large_orange_circle:",
    "reopening": ":large_orange_circle:",
}


@dataclass(frozen=True)
class Rendered:
    """A message: the fallback text Slack needs, and the blocks."""

    text: str
    blocks: list[Block]

    def __post_init__(self) -> None:
        if len(self.blocks) > MESSAGE_BLOCK_LIMIT:
            raise ValueError(f"{len(self.blocks)} blocks: over Slack's {MESSAGE_BLOCK_LIMIT}")


# --- pieces every listing shares -------------------------------------------------------------


def humanize(age: timedelta) -> str:
    """How long ago, for "… ago" sentences (German puts it in the dative: "vor 5 Tagen")."""
    seconds = max(int(age.total_seconds()), 0)
    # Translators: an age, always in "… ago" sentences ("As of … (5 days ago)").
    if seconds < 90:
        return ngettext("{n} second", "{n} seconds", seconds)
    if seconds < 90 * 60:
        return ngettext("{n} minute", "{n} minutes", round(seconds / 60))
    if seconds < 36 * 3600:
        return ngettext("{n} hour", "{n} hours", round(seconds / 3600))
    return ngettext("{n} day", "{n} days", round(seconds / 86400))


def freshness_blocks(fresh: Freshness) -> list[Block]:
    if fresh.as_of is None:
        head = _("Nothing has been synced from the provider yet.")
    else:
        head = _(
            "As of {when} ({age} ago).",
            when=date_token(fresh.as_of),
            age=humanize(fresh.age or timedelta(0)),
        )
        if fresh.newer and fresh.newest is not None:  # their figures are newer than that
            head += " " + ngettext(
                "{n} of these license groups was re-read since, the latest {age} ago.",
                "{n} of these license groups were re-read since, the latest {age} ago.",
                fresh.newer, age=humanize(fresh.now - fresh.newest),
            )
    blocks: list[Block] = [context(head)]
    if fresh.error:
        when = date_token(fresh.error_at) if fresh.error_at else ""
        blocks.append(
            section(
                _(
                    ":warning: *This may be out of date.* The provider could not be read "
                    "at {when}: {error}",
                    when=when,
                    error=escape(_clip(fresh.error, 600)),
                )
            )
        )
    elif fresh.stale and fresh.as_of is not None:
        blocks.append(
            section(
                _(
                    ":warning: *This may be out of date:* the last sync was {age} ago.",
                    age=humanize(fresh.age or timedelta(0)),
                )
            )
        )
    return blocks


def navigation(ref: BrowseRef, page: Page[T], total: Callable[[int], str]) -> list[Block]:
    """ "Page 2 of 3 · 41 groups" and the Previous / Next / Refresh buttons; `total` writes the
    count with its noun (an `ngettext`, so that each language has its plural)."""
    blocks: list[Block] = []
    if page.count > 1:
        blocks.append(
            context(
                # Translators: {total} is a count with its noun, e.g. "41 groups".
                _(
                    "Page {n} of {count} · {total}",
                    n=number(page.number + 1),
                    count=number(page.count),
                    total=total(page.total),
                )
            )
        )
    buttons = []
    if page.has_previous:
        buttons.append(
            ButtonElement(
                text=plain(_("◀ Previous")),
                action_id=BrowseAction.PREVIOUS,
                value=ref.at(page.number - 1).encode(),
            )
        )
    if page.has_next:
        buttons.append(
            ButtonElement(
                text=plain(_("Next ▶")),
                action_id=BrowseAction.NEXT,
                value=ref.at(page.number + 1).encode(),
            )
        )
    buttons.append(refresh_button(ref.at(page.number)))
    blocks.append(ActionsBlock(elements=buttons))
    return blocks


def refresh_button(ref: BrowseRef) -> ButtonElement:
    return ButtonElement(
        text=plain(_("↻ Refresh")), action_id=BrowseAction.REFRESH, value=ref.encode()
    )


def refreshing(rendered: Rendered) -> Rendered:
    """The same message with a note that a refresh is under way (shown until it is done)."""
    note = context(_(":hourglass_flowing_sand: Refreshing from the provider…"))
    return Rendered(rendered.text, [*rendered.blocks[: MESSAGE_BLOCK_LIMIT - 1], note])


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def status_text(status: str) -> str:
    """A status in words with its icon (`ok` → "in service"), escaped."""
    icon = STATUS_ICONS.get(policy.status_key(status), ":white_circle:")
    if policy.moving(status):
        icon = ":hourglass_flowing_sand:"
    elif not policy.in_service(status):
        icon = ":red_circle:"
    return f"{icon} {escape(policy.status_label(status))}"


# --- /csp tenants ------------------------------------------------------------------------------


def tenants_message(listing: TenantsListing) -> Rendered:
    title = _("License groups")
    if listing.filter:
        title = _("License groups matching “{filter}”", filter=escape(listing.filter))
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    blocks += freshness_blocks(listing.freshness)
    if not listing.page.items:
        blocks.append(
            section(
                _("No license group to show.")
                + (" " + _("Try `/csp tenants` without a filter.") if listing.filter else "")
            )
        )
    for tenant in listing.page.items:
        blocks.append(tenant_row(tenant))
    ref = BrowseRef(v="tenants", p=listing.page.number, f=listing.filter)
    blocks += navigation(ref, listing.page, _groups)
    text = ngettext("{n} license group", "{n} license groups", listing.page.total)
    return Rendered(text, blocks)


def _groups(n: int) -> str:
    # Translators: license groups, in a page's count ("Page 1 of 3 · 35 groups").
    return ngettext("{n} group", "{n} groups", n)


def _subscriptions(n: int) -> str:
    return ngettext("{n} subscription", "{n} subscriptions", n)


def _tasks(n: int) -> str:
    # Translators: provider tasks (at OVHcloud), in a page's count.
    return ngettext("{n} task", "{n} tasks", n)


def tenant_row(tenant: TenantSummary) -> SectionBlock:
    lines = [
        f"*{escape(tenant.label)}*  `{escape(tenant.service_name)}`",
        " · ".join(
            [
                status_text(tenant.status),
                ngettext("{n} subscription", "{n} subscriptions", tenant.subscription_count),
                ngettext("{n} seat", "{n} seats", tenant.seat_count),
            ]
        ),
    ]
    if tenant.mpn_issue_flag:
        lines.append(_(":warning: MPN issue: `{flag}`", flag=escape(tenant.mpn_issue_flag)))
    if tenant.sync_error:
        lines.append(
            _(":warning: last sync failed: {error}", error=escape(_clip(tenant.sync_error, 200)))
        )
    details = BrowseRef(v="tenant", t=tenant.service_name).encode()
    return SectionBlock(
        text=mrkdwn("\n".join(lines)),
        accessory=ButtonElement(
            text=plain(_("Details")), action_id=BrowseAction.SHOW, value=details
        ),
    )


# --- /csp subs ---------------------------------------------------------------------------------


def subscriptions_message(listing: SubscriptionsListing) -> Rendered:
    tenant = listing.tenant
    title = _("Subscriptions of {group}", group=escape(tenant.label))
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    blocks.append(context(f"`{escape(tenant.service_name)}` · {status_text(tenant.status)}"))
    blocks += freshness_blocks(listing.freshness)
    if not listing.page.items:
        blocks.append(section(_("This license group has no subscription.")))
    for sub in listing.page.items:
        blocks.append(subscription_row(sub, listing.tasks.get(sub.task_pending_id or -1),
                                       listing.terms.get(sub.id)))
    ref = BrowseRef(v="subs", p=listing.page.number, t=tenant.service_name)
    blocks += navigation(ref, listing.page, _subscriptions)
    text = _("Subscriptions of {group}", group=escape(tenant.label))
    return Rendered(text, blocks)


def subscription_row(sub: CachedSubscription, task: CachedTask | None,
                     term: Term | None = None) -> SectionBlock:
    """One row of the control panel's table: ID, status, license, licenses, dates, term, task."""
    lines = [
        f"*{sub.id}* · {escape(sub.license_name or str(sub.license_id))}",
        " · ".join(
            [
                ngettext("{n} license", "{n} licenses", sub.quantity),
                status_text(sub.status),
                _("created {when}", when=_date(sub.creation_date)),
                _("updated {when}", when=_date(sub.last_update)),
            ]
        ),
    ]
    if term is not None:
        lines.append(_("Term: {term}", term=term_words(term)))
    if sub.parent_id:
        lines.append(_("Add-on of {parent}", parent=sub.parent_id))
    if sub.task_pending_id:
        if task:
            # Translators: "pending task 9100007: seat change, in progress".
            lines.append(_(":hourglass_flowing_sand: pending task {id}: {function}, {status}",
                           id=sub.task_pending_id, function=task_function_words(task),
                           status=task_status_words(task)))
        else:
            lines.append(_(":hourglass_flowing_sand: pending task {id}", id=sub.task_pending_id))
    options = [
        Option(text=_("Change seats"), value=f"{SubscriptionAction.CHANGE_SEATS}:{sub.id}"),
        Option(text=_("Cancel subscription"), value=f"{SubscriptionAction.CANCEL}:{sub.id}"),
    ]
    if not sub.parent_id:  # an add-on takes no add-ons of its own
        options.insert(1, Option(text=_("Order add-on"),
                                 value=f"{SubscriptionAction.ORDER_ADDON}:{sub.id}"))
    menu = OverflowMenuElement(action_id=SubscriptionAction.MENU, options=options)
    return SectionBlock(text=mrkdwn("\n".join(lines)), accessory=menu)


def _date(when: datetime | None) -> str:
    return date_token(when, "{date_short}") if when else "—"


# --- /csp tasks --------------------------------------------------------------------------------


def tasks_message(listing: TasksListing) -> Rendered:
    group = escape(listing.tenant.label) if listing.tenant else None
    title = _("Provider tasks of {group}", group=group) if group else _("Provider tasks")
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    blocks += freshness_blocks(listing.freshness)
    running = [t for t in listing.page.items if not t.status.finished]
    done = [t for t in listing.page.items if t.status.finished]
    if not listing.page.items:
        blocks.append(section(_("No task in progress, and none finished recently.")))
    if running:
        blocks += _lines_blocks(_("*In progress*"), [_task_line(t, listing) for t in running])
    if done:
        blocks += _lines_blocks(_("*Recently finished*"), [_task_line(t, listing) for t in done])
    ref = BrowseRef(
        v="tasks", p=listing.page.number, t=listing.tenant.service_name if listing.tenant else None
    )
    blocks += navigation(ref, listing.page, _tasks)
    return Rendered(title, blocks)


_TASK_ICONS = {
    "todo": ":white_circle:",
    "doing": ":hourglass_flowing_sand:",
    "done": ":white_check_mark:",
    "error": ":x:",
    "cancelled": ":no_entry_sign:",
}


def task_function_words(task: CachedTask) -> str:
    """What the task does, in words ("seat change"); an unknown kind as OVHcloud names it."""
    return codes.label(CodeKind.TASK_FUNCTION, task.function)


def task_status_words(task: CachedTask) -> str:
    """Where the task is, in words ("in progress"); an unknown status as OVHcloud names it."""
    return codes.label(CodeKind.TASK_STATUS, str(task.status))


def _task_line(task: CachedTask, listing: TasksListing) -> str:
    parts = [
        f"{_TASK_ICONS.get(task.status, '')} `{task.id}` {task_function_words(task)}",
        task_status_words(task),
    ]
    if listing.tenant is None:
        parts.append(escape(listing.names.get(task.service_name, task.service_name)))
    if task.subscription_id:
        parts.append(_("subscription {id}", id=task.subscription_id))
    if task.request_id:
        parts.append(_("request #{id}", id=task.request_id))
    if task.todo_date:
        parts.append(_("started {when}", when=date_token(task.todo_date)))
    if task.finish_date:
        parts.append(_("finished {when}", when=date_token(task.finish_date)))
    return " · ".join(parts)


def _lines_blocks(title: str, lines: list[str]) -> list[Block]:
    """Lines grouped into sections of at most 3000 characters."""
    blocks: list[Block] = []
    chunk = [title]
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT_LIMIT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(section("\n".join(chunk)))
    return blocks


def message_blocks(blocks: list[Block]) -> list[dict[str, Any]]:
    """Serialised (and so validated by slack_sdk) blocks: the JSON chat.postMessage takes."""
    return [b.to_dict() for b in blocks]


def sync_report_text(report: SyncReport) -> str:
    """What `/csp sync` and `csp-bot sync` say when a sync is over."""
    text = escape(report.summary())
    for service_name, error in sorted(report.failed.items()):
        text += "\n" + _("• `{name}` failed: {error}", name=service_name, error=escape(error))
    return text
