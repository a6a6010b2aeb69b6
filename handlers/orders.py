"""Ordering licenses: `/csp order [group | new]`, the App Home button, the modal's buttons and
selects (rebuilt in place with `views.update` + `hash`), and the form's submission.

Every listener reads the cache only; the submission stores a draft and pushes the generic
confirmation. Nothing here calls the provider.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View

from bot.domain import Role
from bot.i18n import _
from bot.ids import (
    BlockId,
    HomeAction,
    OptionsAction,
    OrderAction,
    OrderBlock,
    OrderCallback,
    SubscriptionAction,
)
from bot.order_choices import (
    addon_parent,
    find_group,
    group_choices,
    new_group_catalogue,
    prefill_lines,
    remembered_mpn_id,
    tenant_option_label,
)
from bot.order_form import FormState, OrderMeta, OrderMode, parse_order_form
from bot.orders import draft_order
from bot.views.orders import order_modal
from bot.views.text import escape
from handlers.payload import replace_view, trigger_of, values_of, view_of
from handlers.router import CommandCall, Router, Subcommand
from handlers.seats import channel_of

NEW_GROUP_WORDS = frozenset({"new", "new-group", "newgroup", "tenant", "--new"})


def register(app: AsyncApp, router: Router) -> None:
    router.add(
        Subcommand(
            "order",
            _("Order licenses for a license group, or a new license group."),
            "/csp order nordwind · /csp order new",
            order_command,
        )
    )
    app.action(HomeAction.ORDER)(open_from_home)
    app.action(SubscriptionAction.ORDER_ADDON)(open_for_addon)
    app.action(OrderAction.ADD_LINE)(add_line)
    app.action(OrderAction.REMOVE_LINE)(remove_line)
    app.action(OrderAction.LICENSE)(license_chosen)
    app.action(OrderAction.NEW_GROUP)(new_group_mode)
    app.action(OrderAction.EXISTING_GROUP)(existing_group_mode)
    app.action(OptionsAction.TENANT, matchers=[in_order_form])(group_chosen)
    app.view(OrderCallback.FORM)(submit_order)


async def in_order_form(body: dict) -> bool:
    return (body.get("view") or {}).get("callback_id") == OrderCallback.FORM


async def build_modal(
    runtime, meta: OrderMeta, state: FormState, notice: str | None = None
) -> View:
    """The modal for `meta` from the cache, keeping what `state` holds where it applies."""
    if meta.mode is OrderMode.NEW_GROUP:
        choices = await new_group_catalogue(runtime)
        label = None
        if not state.get(OrderBlock.MPN_ID):  # Slack keeps what is typed; start with ours
            state = state.with_default(OrderBlock.MPN_ID, await remembered_mpn_id(runtime))
    else:
        choices = await group_choices(runtime, state.get(BlockId.TENANT) or meta.tenant)
        meta.tenant = choices.tenant.service_name if choices else None
        label = tenant_option_label(choices.tenant) if choices else None
    lines = prefill_lines(meta, state, choices)
    return order_modal(
        meta, lines, choices=choices, tenant_label=label, state=state, notice=notice
    )


# --- opening the modal -----------------------------------------------------------------------


async def order_command(call: CommandCall) -> None:
    runtime = call.runtime
    await runtime.roles.require(call.user_id, Role.STAFF, _("ordering licenses"))
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
    view = await build_modal(runtime, meta, FormState({}), notice=notice)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def open_from_home(ack, body, action, client, context) -> None:
    """App Home's "Order licenses", and Order on a group's details (value: the group)."""
    runtime = context["runtime"]
    await ack()
    await runtime.roles.require(body["user"]["id"], Role.STAFF, _("ordering licenses"))
    meta = OrderMeta(tenant=action.get("value") or None, channel=channel_of(body))
    view = await build_modal(runtime, meta, FormState({}))
    trigger = trigger_of(body, "/csp order")
    if (body.get("view") or {}).get("type") == "modal":  # from the details modal: on top of it
        await client.views_push(trigger_id=trigger, view=view)
    else:
        await client.views_open(trigger_id=trigger, view=view)


async def open_for_addon(ack, body, action, client, context) -> None:
    """"Order add-on" in a subscription's menu (value: its id): the group's order modal, where
    an add-on line is attached to that subscription."""
    runtime = context["runtime"]
    await ack()
    await runtime.roles.require(body["user"]["id"], Role.STAFF, _("ordering licenses"))
    parent = await addon_parent(runtime, action.get("value"))
    meta = OrderMeta(tenant=parent.service_name if parent else None, channel=channel_of(body),
                     parent=parent.id if parent else None)
    notice = (
        _("Add-ons for {name} ({id}): pick the add-on below; it is attached to this "
          "subscription.", name=escape(parent.license_name or ""), id=parent.id)
        if parent else _("That subscription is no longer in the cache: pick the group below.")
    )
    view = await build_modal(runtime, meta, FormState({}), notice=notice)
    await client.views_open(trigger_id=trigger_of(body, "/csp order"), view=view)


# --- changing the modal in place -------------------------------------------------------------


async def rebuild(
    ack, body: dict, client, context, change: Callable[[OrderMeta], None] | None = None
) -> None:
    """Applies `change` to the modal's metadata and updates the modal where it is, keeping
    what was typed. `hash` makes Slack refuse an update built from an older version; the
    newer action that made it older brings its own update."""
    await ack()
    view = view_of(body, "/csp order")
    meta = OrderMeta.load(view.get("private_metadata"))
    if change is not None:
        change(meta)
    state = FormState((view.get("state") or {}).get("values"))
    await replace_view(client, view, await build_modal(context["runtime"], meta, state))


async def add_line(ack, body, client, context) -> None:
    await rebuild(ack, body, client, context, lambda meta: meta.add_line())


async def remove_line(ack, body, client, context) -> None:
    key = body["actions"][0].get("value") or ""
    await rebuild(ack, body, client, context, lambda meta: meta.remove_line(key))


async def license_chosen(ack, body, client, context) -> None:
    """An add-on needs its parent subscription: show (or hide) that choice on the line."""
    await rebuild(ack, body, client, context)


async def group_chosen(ack, body, client, context) -> None:
    await rebuild(ack, body, client, context)


def _mode(mode: OrderMode) -> Callable[[OrderMeta], None]:
    def change(meta: OrderMeta) -> None:
        meta.mode = mode

    return change


async def new_group_mode(ack, body, client, context) -> None:
    await rebuild(ack, body, client, context, _mode(OrderMode.NEW_GROUP))


async def existing_group_mode(ack, body, client, context) -> None:
    await rebuild(ack, body, client, context, _mode(OrderMode.EXISTING))


# --- submitting ------------------------------------------------------------------------------


async def submit_order(ack, body, view, context) -> None:
    runtime, user = context["runtime"], body["user"]["id"]
    form = parse_order_form(values_of(view), OrderMeta.load(view.get("private_metadata")))
    _request, confirm = await draft_order(runtime, form, actor=user)
    await ack(response_action="push", view=confirm)
