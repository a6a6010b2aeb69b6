"""`/csp tenants | subs | tasks | tenant | sync` and the buttons of their messages.

Everything is answered from the cache, so the ack is immediate; a Refresh re-reads the provider
in the background and replaces the message when it is done.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.app.runtime import Runtime
from bot.cache.sync import syncer_of
from bot.core.domain import Role
from bot.core.errors import DomainError
from bot.core.i18n import N_, _
from bot.core.ids import BrowseAction
from bot.slack.access import anyone, needs
from bot.slack.payload import Payload, answerable
from bot.tenants import browse
from bot.tenants.browse import BrowseRef
from bot.tenants.browse_view import (
    Rendered,
    refreshing,
    subscriptions_message,
    sync_report_text,
    tasks_message,
    tenants_message,
)
from bot.tenants.views import tenant_message
from handlers.router import CommandCall, Router, Subcommand

AGAIN = "/csp tenants"
#: Browsing the cache is for staff.
BROWSING = needs(Role.STAFF, N_("looking at licenses"))


def register(app: AsyncApp, router: Router) -> None:
    router.add(
        Subcommand(
            "tenants",
            N_("List the license groups with their seats."),
            "/csp tenants contoso",
            run_tenants,
            access=BROWSING,
        )
    )
    router.add(
        Subcommand(
            "subs",
            N_("A license group's subscriptions, with their tasks."),
            "/csp subs nordwind",
            run_subs,
            aliases=("subscriptions",),
            access=BROWSING,
        )
    )
    router.add(
        Subcommand(
            "tasks",
            N_("Provider tasks in progress and recently finished."),
            "/csp tasks nordwind",
            run_tasks,
            access=BROWSING,
        )
    )
    router.add(
        Subcommand(
            "tenant",
            N_("A license group's details: contact, MPN ID, renewal, usage; edit them."),
            "/csp tenant nordwind",
            run_tenant,
            access=BROWSING,
        )
    )
    router.add(
        Subcommand(
            "sync",
            N_("Re-read everything (or one group) from OVHcloud now."),
            "/csp sync",
            run_sync,
            access=BROWSING,
        )
    )
    gate = [BROWSING.gate]
    app.action(BrowseAction.PREVIOUS, middleware=gate)(turn_page)
    app.action(BrowseAction.NEXT, middleware=gate)(turn_page)
    app.action(BrowseAction.REFRESH, middleware=gate)(refresh)
    app.action(BrowseAction.SHOW, middleware=gate)(show)
    app.action(BrowseAction.SHOW_TASKS, middleware=gate)(show)
    link = anyone("a link button: only acknowledged")
    app.action(BrowseAction.PORTAL, middleware=[link.gate])(link_opened)


async def render(runtime: Runtime, ref: BrowseRef) -> Rendered:
    if ref.v == "tenants":
        return tenants_message(await browse.tenants_listing(runtime, ref.f, ref.p))
    if ref.v == "subs":
        listing = await browse.subscriptions_listing(runtime, ref.t or "", ref.p)
        return subscriptions_message(listing)
    if ref.v == "tasks":
        return tasks_message(await browse.tasks_listing(runtime, ref.t, ref.p))
    return tenant_message(await browse.tenant_details(runtime, ref.t or ""))


async def _answer(call: CommandCall, ref: BrowseRef) -> None:
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
    runtime = call.runtime
    group = await _service_name(call, "") if call.args else None
    await call.ack(
        text=_("Reading `{name}` from OVHcloud… I will post the result here.", name=group)
        if group
        else _("Reading every license group from OVHcloud… I will post the result here."),
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


async def turn_page(
    ack: AsyncAck, body: Payload, action: Payload, respond: AsyncRespond, runtime: Runtime
) -> None:
    await ack()
    answerable(body, AGAIN)
    rendered = await render(runtime, BrowseRef.decode(action.get("value") or ""))
    await respond(text=rendered.text, blocks=rendered.blocks, replace_original=True)


async def show(
    ack: AsyncAck, body: Payload, action: Payload, respond: AsyncRespond, runtime: Runtime
) -> None:
    await ack()
    answerable(body, AGAIN)
    rendered = await render(runtime, BrowseRef.decode(action.get("value") or ""))
    await respond(
        text=rendered.text,
        blocks=rendered.blocks,
        response_type="ephemeral",
        replace_original=False,
    )


async def refresh(
    ack: AsyncAck, body: Payload, action: Payload, respond: AsyncRespond, runtime: Runtime
) -> None:
    """Show "refreshing" at once; re-read the provider in the background; then re-render."""
    await ack()
    answerable(body, AGAIN)
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


async def link_opened(ack: AsyncAck) -> None:
    await ack()
