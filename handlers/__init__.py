"""Thin Slack listeners, one module per flow; `register()` wires them once at start-up.

Each flow module has `register(app, router)`: it adds its `/csp` subcommands to the router and
its action, view and options listeners to the app.
"""

from __future__ import annotations

from types import ModuleType

from slack_bolt.async_app import AsyncApp

from bot.core.ids import Command
from bot.slack.access import anyone
from handlers import (
    audit,
    browse,
    cancel,
    home,
    language,
    options,
    orders,
    refunds,
    requests,
    roles,
    seats,
    software,
    tenant_edit,
    usage,
)
from handlers.router import Router

FLOWS: tuple[ModuleType, ...] = (
    *(browse, options, home, tenant_edit, usage),  # the cache: browsing, typeahead, App Home
    *(orders, seats, cancel, refunds, requests, roles, audit, language),
    software,  # Partner Center: buy, list, keys, cancel
)


def register(app: AsyncApp) -> Router:
    router = Router()
    # Bolt tries listeners in registration order: the slash command, the most frequent
    # request, goes first so it does not run every other listener's matcher.
    routed = anyone("each subcommand declares its own, checked by the router")
    app.command(Command.CSP, middleware=[routed.gate])(router.dispatch)
    for flow in FLOWS:
        flow.register(app, router)
    return router
