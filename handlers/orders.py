"""Ordering licenses: `/csp order [group | new]`, the App Home button, the modal's buttons and
selects (rebuilt in place with `views.update` + `hash`), and the form's submission.

Every listener reads the cache only; the submission stores a draft and pushes the generic
confirmation. Nothing here calls the provider.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.domain import RequestKind
from bot.core.i18n import _
from bot.core.ids import (
    BlockId,
    HomeAction,
    OptionsAction,
    OrderAction,
    OrderBlock,
    OrderCallback,
    SubscriptionAction,
)
from bot.core.text import escape
from bot.orders.choices import (
    Catalogue,
    GroupChoices,
    addon_parent,
    find_group,
    group_choices,
    new_group_catalogue,
    prefill_lines,
    remembered_mpn_id,
    tenant_option_label,
)
from bot.orders.form import OrderMeta, OrderMode, parse_order_form
from bot.orders.plans import draft_order
from bot.orders.views import order_modal
from bot.slack.access import IN_OPEN_MODAL, drafts
from bot.slack.modals import channel_of, in_modal, replace_view
from bot.slack.payload import Payload, button_value, menu_item, trigger_of, view_of
from bot.slack.state import ViewState
from handlers.router import CommandCall, Router, Subcommand

NEW_GROUP_WORDS = frozenset({"new", "new-group", "newgroup", "tenant", "--new"})
ORDERING = drafts(RequestKind.ORDER)


def register(app: AsyncApp, router: Router) -> None:
    router.add(
        Subcommand(
            "order",
            _("Order licenses for a license group, or a new license group."),
            "/csp order nordwind · /csp order new",
            order_command,
            access=ORDERING,
        )
    )
    app.action(HomeAction.ORDER, middleware=[ORDERING.gate])(open_from_home)
    app.action(SubscriptionAction.MENU, matchers=[menu_item(SubscriptionAction.ORDER_ADDON)],
               middleware=[ORDERING.gate])(open_for_addon)
    in_form = [IN_OPEN_MODAL.gate]
    app.action(OrderAction.ADD_LINE, middleware=in_form)(add_line)
    app.action(OrderAction.REMOVE_LINE, middleware=in_form)(remove_line)
    app.action(OrderAction.LICENSE, middleware=in_form)(license_chosen)
    app.action(OrderAction.NEW_GROUP, middleware=in_form)(new_group_mode)
    app.action(OrderAction.EXISTING_GROUP, middleware=in_form)(existing_group_mode)
    app.action(OptionsAction.TENANT, matchers=[in_modal(OrderCallback.FORM)],
               middleware=in_form)(group_chosen)
    app.view(OrderCallback.FORM, middleware=[ORDERING.gate])(submit_order)


async def build_modal(
    runtime: Runtime, meta: OrderMeta, state: ViewState, notice: str | None = None
) -> View:
    """The modal for `meta` from the cache, keeping what `state` holds where it applies."""
    choices: GroupChoices | Catalogue | None
    if meta.mode is OrderMode.NEW_GROUP:
        choices = await new_group_catalogue(runtime)
        label = None
        if not state.get(OrderBlock.MPN_ID):  # Slack keeps what is typed; start with ours
            state = state.with_default(OrderBlock.MPN_ID, await remembered_mpn_id(runtime))
    else:
        group = await group_choices(runtime, state.get(BlockId.TENANT) or meta.tenant)
        meta.tenant = group.tenant.service_name if group else None
        label = tenant_option_label(group.tenant) if group else None
        choices = group
    lines = prefill_lines(meta, state, choices)
    return order_modal(
        meta, lines, choices=choices, tenant_label=label, state=state, notice=notice
    )


# --- opening the modal -----------------------------------------------------------------------


async def order_command(call: CommandCall) -> None:
    runtime = call.runtime
    words = " ".join(call.args).strip()
    meta = OrderMeta(channel=call.channel_id or None)
    notice = None
    if words.lower() in NEW_GROUP_WORDS:
        meta.mode = OrderMode.NEW_GROUP
    elif words:
        tenant = await find_group(runtime, words)
        if tenant is None:
            notice = _("No license group matches “{words}”: pick one below.",
                       words=escape(words))
        else:
            meta.tenant = tenant.service_name
    view = await build_modal(runtime, meta, ViewState({}), notice=notice)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def open_from_home(
    ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    """App Home's "Order licenses", and Order on a group's details (value: the group)."""
    await ack()
    meta = OrderMeta(tenant=button_value(action) or None, channel=channel_of(body))
    view = await build_modal(runtime, meta, ViewState({}))
    trigger = trigger_of(body, "/csp order")
    if (body.get("view") or {}).get("type") == "modal":  # from the details modal: on top of it
        await client.views_push(trigger_id=trigger, view=view)
    else:
        await client.views_open(trigger_id=trigger, view=view)


async def open_for_addon(
    ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    """"Order add-on" in a subscription's menu (value: its id): the group's order modal, where
    an add-on line is attached to that subscription."""
    await ack()
    parent = await addon_parent(runtime, button_value(action))
    meta = OrderMeta(tenant=parent.service_name if parent else None, channel=channel_of(body),
                     parent=parent.id if parent else None)
    notice = (
        _("Add-ons for {name} ({id}): pick the add-on below; it is attached to this "
          "subscription.", name=escape(parent.license_name or ""), id=parent.id)
        if parent else _("That subscription is no longer in the cache: pick the group below.")
    )
    view = await build_modal(runtime, meta, ViewState({}), notice=notice)
    await client.views_open(trigger_id=trigger_of(body, "/csp order"), view=view)


# --- changing the modal in place -------------------------------------------------------------


async def rebuild(
    ack: AsyncAck,
    body: Payload,
    client: AsyncWebClient,
    runtime: Runtime,
    change: Callable[[OrderMeta], object] | None = None,
) -> None:
    """Applies `change` to the modal's metadata and updates the modal where it is, keeping
    what was typed. `hash` makes Slack refuse an update built from an older version; the
    newer action that made it older brings its own update."""
    await ack()
    view = view_of(body, "/csp order")
    meta = OrderMeta.of(view)
    if change is not None:
        change(meta)
    state = ViewState.of(view)
    await replace_view(client, view, await build_modal(runtime, meta, state))


async def add_line(ack: AsyncAck, body: Payload, client: AsyncWebClient, runtime: Runtime) -> None:
    await rebuild(ack, body, client, runtime, lambda meta: meta.add_line())


async def remove_line(
    ack: AsyncAck, body: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    key = body["actions"][0].get("value") or ""
    await rebuild(ack, body, client, runtime, lambda meta: meta.remove_line(key))


async def license_chosen(
    ack: AsyncAck, body: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    """An add-on needs its parent subscription: show (or hide) that choice on the line."""
    await rebuild(ack, body, client, runtime)


async def group_chosen(
    ack: AsyncAck, body: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    await rebuild(ack, body, client, runtime)


def _mode(mode: OrderMode) -> Callable[[OrderMeta], None]:
    def change(meta: OrderMeta) -> None:
        meta.mode = mode

    return change


async def new_group_mode(
    ack: AsyncAck, body: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    await rebuild(ack, body, client, runtime, _mode(OrderMode.NEW_GROUP))


async def existing_group_mode(
    ack: AsyncAck, body: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    await rebuild(ack, body, client, runtime, _mode(OrderMode.EXISTING))


# --- submitting ------------------------------------------------------------------------------


async def submit_order(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    form = parse_order_form(ViewState.of(view), OrderMeta.of(view))
    _request, confirm = await draft_order(runtime, form, actor=user_id)
    await ack(response_action="push", view=confirm)
