"""The playground's Slack workspace: people, conversations, messages, modal stacks, Home tabs.

This is the state Slack keeps on its side. The Web API (`slack_api.py`) changes it the way the
bot asks; the page reads it for one person at a time (`snapshot`), so ephemeral messages,
modals and Home tabs are only seen by the person they belong to. Every change bumps
`version` and wakes the page's event stream.

Time comes from an injected clock (anything with `now() -> datetime`): trigger and
response_url expiry and message timestamps follow it, so tests drive expiry with a FakeClock.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from playground.slack.errors import SlackError
from playground.slack.limits import check_message, check_view

TEAM_ID = "T0PLAY"
TEAM_NAME = "Playground"
APP_ID = "A0PLAY"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "csp-bot"
STAFF_CHANNEL = "C0STAFF"
APPROVALS_CHANNEL = "C0APPROVALS"
SUPPORT_USERGROUP = "S0SUPPORT"
# Slack's developer documentation: a trigger_id expires 3 s after Slack sends it and works
# once; a modal stack holds at most 3 views; a response_url takes 5 uses within 30 minutes.
TRIGGER_SECONDS = 3.0
MODAL_STACK_LIMIT = 3
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    real_name: str
    role: str


PEOPLE = (
    Person("U0ALICE", "alice", "Alice", "staff"),
    Person("U0SAM", "sam", "Sam", "support agent"),
    Person("U0ADA", "ada", "Ada", "admin"),
)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    author: str = BOT_USER_ID
    ephemeral_to: str | None = None
    thread_ts: str | None = None
    edited: bool = False
    note: str = ""  # "command" for the echo of a slash command the person ran
    attachments: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)  # earlier versions, oldest first

    @property
    def user(self) -> str | None:
        """The one person who sees an ephemeral message; None for everyone's messages."""
        return self.ephemeral_to

    @property
    def all_text(self) -> str:
        """The text a person sees: the fallback and every text object in the blocks."""
        return self.text + "\n" + blocks_text(self.blocks)

    def as_json(self) -> dict:
        return {
            "channel": self.channel, "ts": self.ts, "text": self.text, "blocks": self.blocks,
            "author": self.author, "ephemeral": self.ephemeral_to is not None,
            "thread_ts": self.thread_ts, "edited": self.edited, "note": self.note,
            "attachments": self.attachments,
        }


@dataclass
class Trigger:
    user: str
    issued: float
    used: bool = False


@dataclass
class ResponseUrl:
    user: str
    channel: str
    message_ts: str | None  # set when it came with a click on a message
    ephemeral: bool
    created: float
    uses: int = 0


@dataclass
class Notice:
    """Something a person trying the bot should know that Slack would show differently."""

    level: str
    text: str
    user: str | None = None
    at: float = 0.0


class Workspace:
    """Everything Slack would hold for the bot's workspace, in memory."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        people: Iterable[Person] = PEOPLE,
        usergroups: dict[str, list[str]] | None = None,
        default_time_zone: str = "UTC",
    ) -> None:
        self.clock = clock or WallClock()
        self.team_name = TEAM_NAME
        self.url = "http://127.0.0.1/"
        self.people = {p.id: p for p in people}
        self.time_zones: dict[str, str] = {}
        self.default_time_zone = default_time_zone
        self.channels: dict[str, str] = {STAFF_CHANNEL: "staff", APPROVALS_CHANNEL: "approvals"}
        self.usergroups: dict[str, list[str]] = (
            {SUPPORT_USERGROUP: ["U0SAM"]} if usergroups is None else usergroups
        )
        self.messages: list[Message] = []
        self.views: dict[str, dict] = {}
        self.view_owner: dict[str, str] = {}
        self.view_errors: dict[str, dict[str, str]] = {}
        self.stacks: dict[str, list[str]] = {}
        self.home: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.notices: list[Notice] = []
        self.version = 0
        self._changed = asyncio.Event()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    # --- change notification ----------------------------------------------------------------

    def changed(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, since: int, patience: float) -> int:
        """The version once it differs from `since`, or after `patience` seconds anyway."""
        if self.version == since:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(patience):
                    await self._changed.wait()
        return self.version

    def seconds(self) -> float:
        """Now, as Unix seconds on the workspace's clock."""
        return self.clock.now().timestamp()

    def notice(self, level: str, text: str, user: str | None = None) -> None:
        self.notices.append(Notice(level, text, user, self.seconds()))
        del self.notices[:-50]
        self.changed()

    # --- people and conversations -------------------------------------------------------------

    def person_json(self, user_id: str) -> dict:
        person = self.people.get(user_id) or Person(user_id, user_id.lower(), user_id, "guest")
        tz = self.time_zones.get(user_id, self.default_time_zone)
        try:
            offset = self.clock.now().astimezone(ZoneInfo(tz)).utcoffset()
        except ZoneInfoNotFoundError:
            tz, offset = "UTC", None
        return {
            "id": person.id, "team_id": TEAM_ID, "name": person.name,
            "real_name": person.real_name, "is_bot": False, "deleted": False,
            "tz": tz, "tz_label": tz, "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {"real_name": person.real_name, "display_name": person.real_name,
                        "title": person.role},
        }

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id

    def resolve_channel(self, channel: str) -> str:
        """A user id means the bot's DM with that person, as in Slack."""
        if channel.startswith(("U", "W")):
            return self.dm_channel(channel)
        if not channel:
            raise SlackError("channel_not_found")
        if channel.startswith(("C", "G")) and channel not in self.channels:
            self.channels[channel] = channel.lower()
        return channel

    def may_see(self, user_id: str, message: Message) -> bool:
        if message.ephemeral_to is not None and message.ephemeral_to != user_id:
            return False
        return not message.channel.startswith("D") or message.channel == self.dm_channel(user_id)

    # --- messages ---------------------------------------------------------------------------

    def new_ts(self) -> str:
        return f"{int(self.seconds())}.{next(self._ts):06d}"

    def post(
        self, channel: str, text: str, blocks: list[dict] | None, *, author: str = BOT_USER_ID,
        ephemeral_to: str | None = None, thread_ts: str | None = None, note: str = "",
        attachments: list[dict] | None = None,
    ) -> Message:
        message = Message(
            channel=self.resolve_channel(channel), ts=self.new_ts(), text=text or "",
            blocks=with_ids(blocks or []), author=author, ephemeral_to=ephemeral_to,
            thread_ts=thread_ts or None, note=note, attachments=list(attachments or []),
        )
        self.messages.append(message)
        self.changed()
        return message

    def find_message(self, channel: str, ts: str) -> Message | None:
        channel = self.resolve_channel(channel)
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def update_message(
        self, message: Message, text: str | None, blocks: list | None,
        attachments: list | None = None,
    ) -> None:
        message.history.append({"text": message.text, "blocks": message.blocks,
                                "attachments": message.attachments})
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = with_ids(blocks)
        if attachments is not None:
            message.attachments = list(attachments)
        message.edited = True
        self.changed()

    def delete_message(self, message: Message) -> None:
        self.messages.remove(message)
        self.changed()

    # --- triggers and response_urls ---------------------------------------------------------

    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{next(self._ids)}.{int(self.seconds())}.{secrets.token_hex(8)}"
        self.triggers[trigger_id] = Trigger(user_id, self.seconds())
        return trigger_id

    def use_trigger(self, trigger_id: str | None) -> str:
        """The person a trigger belongs to; Slack's errors for unknown, old or reused ones."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.seconds() - trigger.issued > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user

    def issue_response_url(
        self, base: str, user: str, channel: str, message_ts: str | None = None,
        ephemeral: bool = False, *, key: str | None = None,
    ) -> str:
        key = key or secrets.token_hex(12)
        self.response_urls[key] = ResponseUrl(
            user, self.resolve_channel(channel), message_ts, ephemeral, self.seconds()
        )
        return f"{base}/response/{key}"

    def respond(self, key: str, body: dict) -> tuple[int, str]:
        """What Slack does with a POST to a `response_url` (bolt's `respond()`): the HTTP status
        and text it answers."""
        target = self.response_urls.get(key)
        if target is None:
            return 404, "no_such_response_url"
        expired = self.seconds() - target.created > RESPONSE_URL_SECONDS
        if target.uses >= RESPONSE_URL_USES or expired:
            self.notice("warning", "The bot used a response_url past 5 uses or 30 minutes.")
            return 404, "used_up"
        target.uses += 1
        original = None
        if target.message_ts:
            original = self.find_message(target.channel, target.message_ts)
        if _truthy(body.get("delete_original")):
            if original is not None:
                self.delete_message(original)
            return 200, "ok"
        if _truthy(body.get("replace_original")) and original is not None:
            check_message(body, need_content=False)
            self.update_message(original, body.get("text", ""), body.get("blocks") or [],
                                body.get("attachments") or [])
            return 200, "ok"
        check_message(body)
        in_channel = body.get("response_type") == "in_channel"
        posted = self.post(
            target.channel, body.get("text", ""), body.get("blocks"),
            ephemeral_to=None if in_channel else target.user, thread_ts=body.get("thread_ts"),
            attachments=body.get("attachments"),
        )
        if target.message_ts is None:  # a command's first answer becomes its "original"
            target.message_ts = posted.ts
        return 200, "ok"

    # --- views ------------------------------------------------------------------------------

    def store_view(self, view: Any, user: str, view_id: str | None = None) -> dict:
        """Keeps a view as Slack does: an id, a fresh hash, ids on every block, empty state."""
        check_view(view)
        previous = self.views.get(view_id) if view_id else None
        view_id = view_id or f"V{next(self._ids):09d}"
        stored = {
            "id": view_id, "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID,
            "app_installed_team_id": TEAM_ID, "private_metadata": "", "callback_id": "",
            "external_id": "", "clear_on_close": False, "notify_on_close": False,
            "previous_view_id": None, "root_view_id": view_id,
            **copy.deepcopy(view),
            "blocks": with_ids(view.get("blocks") or []),
            "hash": f"{self.seconds():.6f}.{secrets.token_hex(4)}",
            "state": (previous or {}).get("state") or {"values": {}},
        }
        if previous is not None:
            stored["previous_view_id"] = previous.get("previous_view_id")
            stored["root_view_id"] = previous.get("root_view_id", view_id)
        self.views[view_id] = stored
        self.view_owner[view_id] = user
        self.view_errors.pop(view_id, None)
        self.changed()
        return stored

    def find_view(self, view_id: str | None = None, external_id: str | None = None) -> dict:
        if view_id and view_id in self.views:
            return self.views[view_id]
        if external_id:
            for view in self.views.values():
                if view.get("external_id") == external_id:
                    return view
        raise SlackError("not_found")

    def open_modal(self, user: str, view: dict) -> dict:
        for old in self.stacks.get(user, []):
            self.view_errors.pop(old, None)
        stored = self.store_view(view, user)
        self.stacks[user] = [stored["id"]]
        self.changed()
        return stored

    def push_modal(self, user: str, view: Any) -> dict:
        stack = self.stacks.get(user) or []
        if not stack:
            raise SlackError("invalid_arguments", "views.push needs an open modal")
        if len(stack) >= MODAL_STACK_LIMIT:
            raise SlackError("push_limit_reached")
        check_view(view)
        stored = self.store_view(view, user)
        stored["previous_view_id"] = stack[-1]
        stored["root_view_id"] = stack[0]
        stack.append(stored["id"])
        self.changed()
        return stored

    def pop_modal(self, user: str, *, everything: bool = False) -> list[dict]:
        """Closes the top view (or all); returns the closed views, top first."""
        stack = self.stacks.get(user) or []
        closed = list(reversed(stack)) if everything else stack[-1:]
        del stack[len(stack) - len(closed):]
        if not stack:
            self.stacks.pop(user, None)
        self.changed()
        return [self.views[v] for v in closed]

    def apply_submission(self, user: str, view_id: str, answer: dict) -> str:
        """Applies the bot's answer to a `view_submission` to the person's modal stack, as Slack
        does; returns the `response_action` applied ("close" for an empty ack).

        `errors` must name input blocks of the submitted view and may not be empty; `update` and
        `push` carry a view Slack checks like any other; `push` counts toward the stack limit.
        """
        kind = answer.get("response_action") or "close"
        if kind == "errors":
            errors = answer.get("errors")
            if not isinstance(errors, dict) or not errors:
                raise SlackError("invalid_arguments", "response_action errors needs errors")
            view = self.find_view(view_id)
            inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
            strays = sorted(set(errors) - inputs)
            if strays:
                raise SlackError(
                    "invalid_arguments", f"errors for blocks that are not inputs: {strays}"
                )
            self.view_errors[view_id] = dict(errors)
            self.changed()
        elif kind == "update":
            self.store_view(answer.get("view"), user, view_id)
        elif kind == "push":
            self.push_modal(user, answer.get("view"))
        elif kind == "clear":
            self.pop_modal(user, everything=True)
        elif kind == "close":
            self.pop_modal(user)
        else:
            raise SlackError("invalid_arguments", f"unknown response_action {kind!r}")
        return kind

    def top_modal(self, user: str) -> dict | None:
        stack = self.stacks.get(user)
        return self.views[stack[-1]] if stack else None

    def set_state(self, view_id: str, values: dict) -> dict:
        view = self.find_view(view_id)
        view["state"] = {"values": values}
        return view

    def publish_home(self, user: str, view: dict) -> dict:
        stored = self.store_view({**view, "type": "home"}, user, self.home.get(user))
        self.home[user] = stored["id"]
        self.changed()
        return stored

    # --- what one person sees ---------------------------------------------------------------

    def snapshot(self, user_id: str) -> dict[str, Any]:
        conversations = [
            {"id": cid, "name": f"#{name}", "kind": "channel"}
            for cid, name in self.channels.items()
        ]
        conversations.append(
            {"id": self.dm_channel(user_id), "name": BOT_NAME, "kind": "dm"}
        )
        stack = [
            {**self.views[v], "errors": self.view_errors.get(v, {})}
            for v in self.stacks.get(user_id, [])
        ]
        home = self.views.get(self.home.get(user_id, ""))
        return {
            "version": self.version,
            "me": self.person_json(user_id),
            "people": [self.person_json(p) for p in self.people],
            "bot": {"id": BOT_USER_ID, "name": BOT_NAME},
            "channels": conversations,
            "channel_names": {cid: name for cid, name in self.channels.items()},
            "messages": [m.as_json() for m in self.messages if self.may_see(user_id, m)],
            "modals": stack,
            "home": home,
            "notices": [
                {"level": n.level, "text": n.text, "at": n.at}
                for n in self.notices if n.user in (None, user_id)
            ],
        }


def with_ids(blocks: list[dict]) -> list[dict]:
    """Blocks as Slack stores them: every block has a block_id, every element an action_id."""
    out = []
    for block in copy.deepcopy(list(blocks)):
        if isinstance(block, dict):
            block.setdefault("block_id", secrets.token_urlsafe(4))
            for element in _interactive_elements(block):
                element.setdefault("action_id", secrets.token_urlsafe(4))
        out.append(block)
    return out


def _interactive_elements(block: dict) -> list[dict]:
    elements = []
    if block.get("type") == "actions":
        elements = [e for e in block.get("elements", []) if isinstance(e, dict)]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict) and block[key].get("type") != "image":
            elements.append(block[key])
    return elements


def blocks_text(blocks: list[dict] | None) -> str:
    """Every piece of text in a list of blocks, in order (what a person can read)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                out.append(node["text"])
            for key, value in node.items():
                if key != "text" or isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
