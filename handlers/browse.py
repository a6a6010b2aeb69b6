"""`/csp tenants | subs | tasks | tenant | sync` and the buttons of their messages.

Everything is answered from the cache, so the ack is immediate; a Refresh re-reads the provider
in the background and replaces the message when it is done.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import browse
from bot.browse import BrowseRef, require_staff
from bot.errors import DomainError
from bot.i18n import _
from bot.ids import BrowseAction, SubscriptionAction
from bot.numbers import id_of
from bot.sync import syncer_of
from bot.views.browse import (
    Rendered,
    refreshing,
    subscriptions_message,
    sync_report_text,
    tasks_message,
    tenants_message,
)
from bot.views.tenant import tenant_message
from handlers.payload import answerable
from handlers.router import CommandCall, Subcommand

AGAIN = "/csp tenants"
MENU_ACTIONS = {SubscriptionAction.CHANGE_SEATS.value, SubscriptionAction.CANCEL.value,
                SubscriptionAction.ORDER_ADDON.value}


def register(app: AsyncApp, router) -> None:
    router.add(
        Subcommand(
            "tenants",
            _("List the license groups with their seats."),
            "/csp tenants contoso",
            run_tenants,
        )
    )
    router.add(
        Subcommand(
            "subs",
            _("A license group's subscriptions, with their tasks."),
            "/csp subs nordwind",
            run_subs,
            aliases=("subscriptions",),
        )
    )
    router.add(
        Subcommand(
            "tasks",
            _("Provider tasks in progress and recently finished."),
            "/csp tasks nordwind",
            run_tasks,
        )
    )
    router.add(
        Subcommand(
            "tenant",
            _("A license group's details: contact, MPN ID, renewal, usage; edit them."),
            "/csp tenant nordwind",
            run_tenant,
        )
    )
    router.add(
        Subcommand(
            "sync", _("Re-read everything (or one group) from OVHcloud now."), "/csp sync", run_sync
        )
    )
    app.middleware(subscription_menu)
    app.action(BrowseAction.PREVIOUS)(turn_page)
    app.action(BrowseAction.NEXT)(turn_page)
    app.action(BrowseAction.REFRESH)(refresh)
    app.action(BrowseAction.SHOW)(show)
    app.action(BrowseAction.SHOW_TASKS)(show)
    app.action(BrowseAction.PORTAL)(link_opened)


async def render(runtime, ref: BrowseRef) -> Rendered:
    if ref.v == "tenants":
        return tenants_message(await browse.tenants_listing(runtime, ref.f, ref.p))
    if ref.v == "subs":
        return subscriptions_message(await browse.subscriptions_listing(runtime, ref.t, ref.p))
    if ref.v == "tasks":
        return tasks_message(await browse.tasks_listing(runtime, ref.t, ref.p))
    return tenant_message(await browse.tenant_details(runtime, ref.t or ""))


async def _answer(call: CommandCall, ref: BrowseRef) -> None:
    await require_staff(call.runtime, call.user_id)
    rendered = await render(call.runtime, ref)
    await call.ack(text=rendered.text, blocks=rendered.blocks, response_type="ephemeral")


def _group(call: CommandCall, example: str) -> str:
    if not call.args:
        raise DomainError(_("Which license group? For example `{example}`.", example=example))
    return " ".join(call.args)


# --- commands ----------------------------------------------------------------------------------


async def run_tenants(call: CommandCall) -> None:
    await _answer(call, BrowseRef(v="tenants", f=" ".join(call.args) or None))


async def run_subs(call: CommandCall) -> None:
    await _answer(call, BrowseRef(v="subs", t=await _service_name(call, "/csp subs nordwind")))


async def run_tasks(call: CommandCall) -> None:
    group = await _service_name(call, "") if call.args else None
    await _answer(call, BrowseRef(v="tasks", t=group))


async def run_tenant(call: CommandCall) -> None:
    await _answer(call, BrowseRef(v="tenant", t=await _service_name(call, "/csp tenant nordwind")))


async def _service_name(call: CommandCall, example: str) -> str:
    """The group the arguments name, resolved now so buttons carry its exact service name."""
    text = _group(call, example)
    async with call.runtime.db.session() as session:
        return (await browse.resolve_tenant(session, text)).service_name


async def run_sync(call: CommandCall) -> None:
    await require_staff(call.runtime, call.user_id)
    runtime = call.runtime
    group = await _service_name(call, "") if call.args else None
    await call.ack(
        text=_(
            "Reading {what} from OVHcloud… I will post the result here.",
            what=f"`{group}`" if group else _("every license group"),
        ),
        response_type="ephemeral",
    )

    async def work() -> None:
        syncer = syncer_of(runtime)
        if group:
            outcome = await syncer.refresh_tenant(group)
            text = (
                _("`{name}` is up to date.", name=group)
                if outcome.ok
                else _("`{name}` could not be read: {error}", name=group, error=outcome.error)
            )
        else:
            text = sync_report_text(await syncer.sync_all())
        await call.respond(text=text, response_type="ephemeral", replace_original=False)

    syncer_of(runtime).spawn(work(), name="sync:command")


# --- buttons -----------------------------------------------------------------------------------


async def subscription_menu(body, next) -> None:
    """An overflow menu has one action_id: turn the chosen item of a subscription row into the
    block action flows listen for (`SubscriptionAction.CHANGE_SEATS` / `CANCEL`, value = the
    subscription id), before listeners are matched."""
    if body.get("type") == "block_actions":
        for action in body.get("actions") or []:
            if action.get("action_id") != SubscriptionAction.MENU:
                continue
            chosen = (action.get("selected_option") or {}).get("value") or ""
            kind, _sep, subscription_id = chosen.rpartition(":")
            if kind in MENU_ACTIONS and id_of(subscription_id) is not None:
                action["action_id"] = kind
                action["value"] = subscription_id
                action["selected_option"]["value"] = subscription_id
    await next()


async def turn_page(ack, body, action, respond, context) -> None:
    await ack()
    answerable(body, AGAIN)
    await require_staff(context["runtime"], body["user"]["id"])
    rendered = await render(context["runtime"], BrowseRef.decode(action.get("value") or ""))
    await respond(text=rendered.text, blocks=rendered.blocks, replace_original=True)


async def show(ack, body, action, respond, context) -> None:
    await ack()
    answerable(body, AGAIN)
    await require_staff(context["runtime"], body["user"]["id"])
    rendered = await render(context["runtime"], BrowseRef.decode(action.get("value") or ""))
    await respond(
        text=rendered.text,
        blocks=rendered.blocks,
        response_type="ephemeral",
        replace_original=False,
    )


async def refresh(ack, body, action, respond, context) -> None:
    """Show "refreshing" at once; re-read the provider in the background; then re-render."""
    await ack()
    answerable(body, AGAIN)
    runtime = context["runtime"]
    await require_staff(runtime, body["user"]["id"])
    ref = BrowseRef.decode(action.get("value") or "")
    rendered = await render(runtime, ref)
    await respond(text=rendered.text, blocks=refreshing(rendered).blocks, replace_original=True)

    async def work() -> None:
        syncer = syncer_of(runtime)
        if ref.t:
            await syncer.refresh_tenant(ref.t)
        else:
            await syncer.sync_all()
        try:
            fresh = await render(runtime, ref)
        except DomainError as exc:  # e.g. the group was deleted upstream meanwhile
            await respond(text=exc.message, replace_original=True)
            return
        await respond(text=fresh.text, blocks=fresh.blocks, replace_original=True)

    syncer_of(runtime).spawn(work(), name=f"refresh:{ref.v}")


async def link_opened(ack) -> None:
    await ack()
