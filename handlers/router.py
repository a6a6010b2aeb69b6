"""`/csp <subcommand> [args]`: one slash command, routed to the flow that owns each word."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.i18n import N_, _, current_language
from bot.core.limits import MAX_COMMAND_CHARS, MAX_COMMAND_WORDS
from bot.home.help import HelpEntry, help_blocks, help_text
from bot.slack.access import Access, anyone
from bot.slack.payload import Payload


@dataclass(frozen=True)
class CommandCall:
    """What a subcommand listener gets: the parsed arguments and bolt's utilities."""

    args: list[str]
    user_id: str
    channel_id: str
    trigger_id: str
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    runtime: Runtime


SubcommandHandler = Callable[[CommandCall], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    summary: str
    example: str
    run: SubcommandHandler
    aliases: tuple[str, ...] = ()
    #: Who may run it (`bot.slack.access`); the router checks it before `run`.
    access: Access = field(kw_only=True)


class Router:
    def __init__(self) -> None:
        self._commands: dict[str, Subcommand] = {}
        self._order: list[Subcommand] = []
        #: the help's text and blocks in each language, built once per language
        self._help_messages: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self.add(Subcommand("help", N_("Show this list."), "/csp help", self._help,
                            access=anyone("the list of subcommands is no secret")))

    def add(self, command: Subcommand) -> None:
        for name in (command.name, *command.aliases):
            if name in self._commands:
                raise ValueError(f"/csp {name} is registered twice")
            self._commands[name] = command
        self._order.append(command)
        self._help_messages.clear()

    @property
    def subcommands(self) -> list[Subcommand]:
        return list(self._order)

    @property
    def entries(self) -> list[HelpEntry]:
        """The subcommands in the reader's language (summaries are registered in English)."""
        return [HelpEntry(c.name, _(c.summary), c.example) for c in self._order]

    def help_message(self) -> tuple[str, list[dict[str, Any]]]:
        """The help's text and blocks, built and validated once per language: it only changes
        with `add()`, and rebuilding it on every `/csp help` was a measurable share of the ack
        path."""
        language = current_language()
        if language not in self._help_messages:
            entries = self.entries
            blocks = [block.to_dict() for block in help_blocks(entries)]
            self._help_messages[language] = (help_text(entries), blocks)
        return self._help_messages[language]

    def suggestion(self, word: str) -> str | None:
        close = difflib.get_close_matches(word, list(self._commands), n=1, cutoff=0.6)
        return close[0] if close else None

    async def dispatch(
        self,
        ack: AsyncAck,
        respond: AsyncRespond,
        command: Payload,
        client: AsyncWebClient,
        runtime: Runtime,
    ) -> None:
        text = command.get("text") or ""
        words = text[: MAX_COMMAND_CHARS + 1].split()
        if len(text) > MAX_COMMAND_CHARS or len(words) > MAX_COMMAND_WORDS:
            await ack(
                text=_("That is too long for a `/csp` command (at most {chars} characters and "
                       "{words} words). Type less, or open the form and fill it in there.",
                       chars=MAX_COMMAND_CHARS, words=MAX_COMMAND_WORDS),
                response_type="ephemeral",
            )
            return
        name = words[0].lower() if words else "help"
        sub = self._commands.get(name)
        if sub is None:
            entries = self.entries
            await ack(
                text=help_text(entries),
                blocks=help_blocks(entries, unknown=name, suggestion=self.suggestion(name)),
                response_type="ephemeral",
            )
            return
        await sub.access.check(runtime.roles, command["user_id"])
        await sub.run(
            CommandCall(
                args=words[1:],
                user_id=command["user_id"],
                channel_id=command.get("channel_id", ""),
                trigger_id=command.get("trigger_id", ""),
                ack=ack,
                respond=respond,
                client=client,
                runtime=runtime,
            )
        )

    async def _help(self, call: CommandCall) -> None:
        text, blocks = self.help_message()
        await call.ack(text=text, blocks=blocks, response_type="ephemeral")
