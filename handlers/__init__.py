"""Thin Slack listeners, one module per flow; `register()` wires them once at start-up."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.ids import Command
from handlers.router import Router


def register(app: AsyncApp) -> Router:
    router = Router()
    app.command(Command.CSP)(router.dispatch)
    return router
