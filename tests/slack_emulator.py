"""The tests' Slack: the one Slack fake (`playground.slack`, the playground's workspace and Web
API, with every Slack rule it knows) on an ephemeral loopback port, with a thin test layer:

- every Web API call is recorded with its JSON and token (`calls`, `calls_of`);
- a call can be made to answer an error or a 429 with Retry-After (`fail`, `rate_limit`);
- what people would see is readable (`messages`, `views`, `home`, `ephemerals`);
- a driver (`SlackDriver`) sends correctly signed slash commands, block actions, block
  suggestions, view submissions and events to the running app over HTTP, and envelopes over
  Socket Mode, with a fresh single-use trigger_id for each, as Slack does.

Time is the test's clock (a FakeClock): trigger_ids expire 3 s after they were issued on it and
response_urls after 30 minutes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from playground.slack.errors import SlackError
from playground.slack.limits import check_message
from playground.slack.web_api import SlackWebApi
from playground.slack.workspace import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Clock,
    Message,
    Person,
    Workspace,
    blocks_text,
)

__all__ = [
    "BOT_ID", "BOT_USER_ID", "TEAM_ID", "Call", "Message", "Reply", "SlackDriver",
    "SlackEmulator", "SlackError", "blocks_text", "state_values",
]

#: The bot token the tests' settings carry; the fake answers `invalid_auth` to any other.
BOT_TOKEN = "xoxb-1111-2222-testtokensecret"
#: The people of the tests' workspace (staff, support agents, the admin).
CAST = ("U0ALICE", "U0BOB", "U0SAM", "U0SUE", "U0ADA")
#: People a test does not describe (`emulator.users`) live in UTC and have no Slack locale, so
#: what they read does not depend on when the bot's background users.info read lands.
TIME_ZONE = "UTC"


def person(user_id: str) -> Person:
    return Person(user_id, user_id.lower(), user_id.lower().title(), "")


class _People(dict):
    """`emulator.users[uid] = {...}` describes a person: their time zone and Slack locale."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self._workspace = workspace

    def __setitem__(self, user_id: str, info: dict) -> None:
        super().__setitem__(user_id, info)
        ws = self._workspace
        ws.people.setdefault(user_id, person(user_id))
        if "tz" in info:
            ws.time_zones[user_id] = info["tz"]
        if "locale" in info:
            ws.locales[user_id] = info["locale"]


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


class _RecordingApi(SlackWebApi):
    """The fake's Web API, recording each call and answering injected failures first."""

    def __init__(self, emulator: SlackEmulator, bot_token: str) -> None:
        super().__init__(emulator.workspace, bot_token)
        self.emulator = emulator

    def call(self, name: str, args: dict, token: str) -> web.Response:
        self.emulator.calls.append(Call(name, args, token or None))
        failures = self.emulator._failures[name]
        if failures:
            error, retry_after = failures.pop(0)
            if retry_after is not None:
                return web.json_response({"ok": False, "error": error}, status=429,
                                         headers={"Retry-After": str(retry_after)})
            return web.json_response({"ok": False, "error": error})
        if name == "apps.connections.open":  # Socket Mode: the app-level token, not the bot's
            if not token.startswith("xapp-"):
                return web.json_response({"ok": False, "error": "not_allowed_token_type"})
            socket = self.emulator.url.replace("http://", "ws://") + "/socket"
            return web.json_response({"ok": True, "url": socket})
        return super().call(name, args, token)

    def respond(self, key: str, body: dict) -> web.Response:
        self.emulator.response_urls[key].append(body)
        self.emulator.calls.append(Call("response_url", body, None))
        return super().respond(key, body)


class SlackEmulator:
    """The Slack fake on loopback, with call recording and failure injection."""

    def __init__(self, clock: Clock | None = None, *, bot_token: str = BOT_TOKEN) -> None:
        self.workspace = Workspace(
            clock, people=[person(u) for u in CAST], usergroups={},
            default_time_zone=TIME_ZONE,
        )
        self.workspace.team_name = "CSP Reseller"
        self.workspace.url = "https://csp.example.slack.com/"
        self.users = _People(self.workspace)
        self.calls: list[Call] = []
        self.response_urls: dict[str, list[dict]] = defaultdict(list)
        self._failures: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
        self._ids = itertools.count(1)
        self.api = _RecordingApi(self, bot_token)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_connected = asyncio.Event()
        self._envelopes: dict[str, asyncio.Future] = {}

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> SlackEmulator:
        app = web.Application()
        self.api.add_routes(app)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self.api.files.base_url = self.url  # files.getUploadURLExternal's URLs point here
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(
        self, key: str | None = None, *, user: str = "U0ALICE", channel: str = "C0STAFF",
        message_ts: str | None = None, ephemeral: bool = False,
    ) -> str:
        """A response_url Slack would send with an interaction of `user` in `channel`."""
        return self.workspace.issue_response_url(
            self.url, user, channel, message_ts, ephemeral, key=key or f"r{next(self._ids)}"
        )

    # --- test controls ----------------------------------------------------------------------

    def fail(self, method: str, error: str = "internal_error", times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._failures[method].extend([(error, None)] * times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer 429 with Retry-After."""
        self._failures[method].extend([("ratelimited", retry_after)] * times)

    def open_modal(self, view: dict, *, user: str) -> dict:
        """A modal on `user`'s screen, as if the bot had opened it earlier; Slack's checks
        apply. Returns the view as Slack stores it (id, hash, state)."""
        self.meet(user)
        return self.workspace.open_modal(user, view)

    def meet(self, user: str) -> None:
        """`user` is a member of the workspace (whoever acts in Slack is one)."""
        self.workspace.people.setdefault(user, person(user))

    # --- what the bot did, and what people see ----------------------------------------------

    def calls_of(self, method: str) -> list[dict]:
        return [c.args for c in self.calls if c.method == method]

    def sent_texts(self) -> list[str]:
        """Every string the bot sent: Web API arguments and response_url posts."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    walk(item)

        walk([c.args for c in self.calls])
        walk(list(self.response_urls.values()))
        return found

    @property
    def messages(self) -> dict[str, list[Message]]:
        """The messages of each conversation, oldest first (ephemeral ones included)."""
        by_channel: dict[str, list[Message]] = defaultdict(list)
        for message in self.workspace.messages:
            by_channel[message.channel].append(message)
        return by_channel

    @property
    def views(self) -> dict[str, dict]:
        """Every view Slack holds (modals and Home tabs), by id, as Slack stores them."""
        return self.workspace.views

    @property
    def home(self) -> dict[str, dict]:
        """Each person's published Home tab."""
        return {user: self.workspace.views[v] for user, v in self.workspace.home.items()}

    @property
    def files(self) -> dict:
        """Files uploaded with files_upload_v2, by id (`playground.slack.files.Upload`)."""
        return self.api.files.uploads

    @property
    def usergroups(self) -> dict[str, list[str]]:
        return self.workspace.usergroups

    def top_modal(self, user: str) -> dict | None:
        """The modal `user` sees now (the top of their stack), or None."""
        return self.workspace.top_modal(user)

    def last_message(self, channel: str) -> Message:
        return self.messages[channel][-1]

    def message(self, channel: str, ts: str) -> Message:
        return next(m for m in self.messages[channel] if m.ts == ts)

    def ephemerals(self, user: str) -> list[Message]:
        return [m for m in self.workspace.messages if m.user == user]

    # --- Socket Mode: the WebSocket Slack pushes envelopes through ------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "emulator"}})
        self._socket_connected.set()
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self._envelopes.pop(data.get("envelope_id", ""), None)
            if future is not None and not future.done():
                future.set_result(data.get("payload") or {})
        self._sockets.remove(ws)
        return ws

    async def socket_send(self, kind: str, payload: dict) -> dict:
        """Sends an envelope over Socket Mode and returns the app's acknowledgement payload."""
        await asyncio.wait_for(self._socket_connected.wait(), 5)
        envelope_id = f"env-{next(self._ids)}"
        future = asyncio.get_running_loop().create_future()
        self._envelopes[envelope_id] = future
        await self._sockets[-1].send_json({
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": True, "retry_attempt": 0, "retry_reason": "",
        })
        return await asyncio.wait_for(future, 5)


def _as_list(value: Any) -> list[dict]:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


# --- the driver: Slack's side of the requests to the app ---------------------------------------


@dataclass
class Reply:
    """The app's HTTP answer, and for view submissions the view Slack would now show."""

    status: int
    body: str
    view: dict | None = None
    message: Message | None = None  # a command's answer, as the person sees it

    @property
    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        data = self.json if self.body.startswith("{") else {}
        return data.get("text", self.body) + "\n" + blocks_text(data.get("blocks"))

    @property
    def errors(self) -> dict[str, str]:
        return self.json.get("errors", {}) if self.body.startswith("{") else {}


class SlackDriver:
    """Sends what Slack sends, signed with the app's signing secret, over real HTTP."""

    def __init__(self, emulator: SlackEmulator, app_url: str, signing_secret: str) -> None:
        self.emulator = emulator
        self.app_url = app_url
        self.verifier = SignatureVerifier(signing_secret)
        self._events = itertools.count(1)
        self._submitting: dict[str, int] = defaultdict(int)  # view id: submissions in flight
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def signed_headers(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
        }

    async def post(self, body: str, content_type: str, headers: dict[str, str]) -> Reply:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(
            self.app_url, data=body.encode(), headers={"Content-Type": content_type, **headers}
        ) as response:
            return Reply(response.status, await response.text())

    async def send_form(self, fields: dict[str, str], **kw) -> Reply:
        body = urllib.parse.urlencode(fields)
        headers = kw.get("headers") or self.signed_headers(body, kw.get("timestamp"))
        return await self.post(body, "application/x-www-form-urlencoded", headers)

    async def send_payload(self, payload: dict) -> Reply:
        return await self.send_form({"payload": json.dumps(payload)})

    def trigger_id(self, user: str = "U0ALICE") -> str:
        """A fresh trigger_id for `user`, as Slack sends with each interaction: it works once,
        for 3 seconds of the workspace's clock."""
        self.emulator.meet(user)
        return self.emulator.workspace.issue_trigger(user)

    # --- what users do ----------------------------------------------------------------------

    async def command(
        self, text: str, *, user: str = "U0ALICE", channel: str = "C0STAFF", command: str = "/csp",
        **kw,
    ) -> Reply:
        response_url = self.emulator.response_url(user=user, channel=channel)
        fields = {
            "token": "verification-token-unused", "team_id": TEAM_ID, "team_domain": "csp",
            "channel_id": channel, "channel_name": "staff", "user_id": user,
            "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": "A0CSP", "response_url": response_url,
            "trigger_id": self.trigger_id(user),
        }
        reply = await self.send_form(fields, **kw)
        if reply.status == 200:
            reply.message = self._show_answer(reply, user, channel, response_url)
        return reply

    def _show_answer(self, reply: Reply, user: str, channel: str, response_url: str):
        """A command's direct answer as Slack shows it: a message only the person sees (unless
        `in_channel`), which `chat.update` cannot change and the command's response_url
        replaces."""
        ws = self.emulator.workspace
        data = reply.json if reply.body.startswith("{") else {}
        if not data and reply.body.strip():
            data = {"text": reply.body}
        if not (data.get("text") or data.get("blocks") or data.get("attachments")):
            return None
        check_message(data)
        in_channel = data.get("response_type") == "in_channel"
        shown = ws.post(channel, data.get("text", ""), data.get("blocks"),
                        ephemeral_to=None if in_channel else user,
                        attachments=data.get("attachments"))
        ws.response_urls[response_url.rsplit("/", 1)[1]].message_ts = shown.ts
        return shown

    def _user(self, user: str) -> dict:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}

    async def action(
        self, action_id: str, *, value: str | None = None, user: str = "U0ALICE",
        block_id: str = "b", view: dict | None = None, message: Message | None = None,
        selected: str | None = None, action_type: str | None = None,
    ) -> Reply:
        """A click on a button (value), or a choice in a select or overflow (selected)."""
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id,
                                  "action_ts": f"{time.time():.6f}"}
        if selected is not None:
            action["type"] = action_type or "static_select"
            action["selected_option"] = {"text": {"type": "plain_text", "text": selected},
                                         "value": selected}
        else:
            action["type"] = action_type or "button"
            action["value"] = value or ""
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": TEAM_ID}, "user": self._user(user),
            "api_app_id": "A0CSP", "trigger_id": self.trigger_id(user), "actions": [action],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view["id"]}
        if message is not None:
            payload["channel"] = {"id": message.channel}
            payload["message"] = {"ts": message.ts, "text": message.text,
                                  "blocks": message.blocks}
            payload["container"] = {"type": "message", "message_ts": message.ts,
                                    "channel_id": message.channel,
                                    "is_ephemeral": message.user is not None}
            payload["response_url"] = self.emulator.response_url(
                user=user, channel=message.channel, message_ts=message.ts,
                ephemeral=message.user is not None,
            )
        return await self.send_payload(payload)

    async def event(self, event: dict[str, Any]) -> Reply:
        """An Events API callback (JSON body, signed), e.g. `app_home_opened`."""
        body = json.dumps({
            "token": "verification-token-unused", "team_id": TEAM_ID, "api_app_id": "A0CSP",
            "type": "event_callback", "event_id": f"Ev{next(self._events):08d}",
            "event_time": int(time.time()), "event": event,
        })  # fmt: skip
        return await self.post(body, "application/json", self.signed_headers(body))

    async def open_home(self, user: str = "U0ALICE") -> Reply:
        """The user opens the app's Home tab."""
        return await self.event({"type": "app_home_opened", "user": user, "tab": "home",
                                 "channel": "D" + user, "event_ts": f"{time.time():.6f}"})

    def as_message(self, reply: Reply, channel: str = "C0STAFF") -> Message:
        """The ephemeral message a command's answer shows, so a test can click its buttons."""
        if reply.message is not None:
            return reply.message
        data = reply.json
        return Message(channel=channel, ts=f"{time.time():.6f}", text=data.get("text", ""),
                       blocks=_as_list(data.get("blocks")))

    async def suggest(
        self, action_id: str, value: str, *, block_id: str = "b", user: str = "U0ALICE",
        view: dict | None = None,
    ) -> Reply:
        payload: dict[str, Any] = {
            "type": "block_suggestion", "team": {"id": TEAM_ID}, "user": self._user(user),
            "api_app_id": "A0CSP", "action_id": action_id, "block_id": block_id, "value": value,
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view["id"]}
        return await self.send_payload(payload)

    async def submit(
        self, view: dict, values: dict[str, Any] | None = None, *, user: str = "U0ALICE",
        redelivered: bool = False,
    ) -> Reply:
        """Submits a modal with `values` keyed by block_id, as Slack builds `state.values`.

        Only the modal on top of `user`'s stack can be submitted (or one whose submission is
        still waiting for the app's answer: a double click). The app's answer is applied
        as Slack applies it (close, `clear`, `update`, `push` within the stack limit, `errors`
        on input blocks); `reply.view` is the modal shown afterwards, if any. An answer Slack
        would refuse raises `SlackError`.

        `redelivered`: the same submission arriving again after its modal closed (Socket Mode
        re-delivers envelopes); it is sent and answered, and nothing is shown.
        """
        ws = self.emulator.workspace
        top = ws.top_modal(user)
        view_id = str(view.get("id"))
        is_open = (top is not None and top["id"] == view_id) or self._submitting[view_id] > 0
        if not is_open and not redelivered:
            shown = top["id"] if top else "none"
            raise AssertionError(f"{user} cannot submit view {view_id}: the top modal is {shown}")
        submitted = {**view, "state": {"values": state_values(view, values or {})}}
        ws.set_state(view_id, submitted["state"]["values"])
        payload = {
            "type": "view_submission", "team": {"id": TEAM_ID}, "user": self._user(user),
            "api_app_id": "A0CSP", "trigger_id": self.trigger_id(user), "view": submitted,
        }
        self._submitting[view_id] += 1
        try:
            reply = await self.send_payload(payload)
        finally:
            self._submitting[view_id] -= 1
        top = ws.top_modal(user)
        if reply.status != 200 or top is None or top["id"] != view_id:
            return reply  # a double click's second answer: the modal is gone already
        data = reply.json if reply.body.startswith("{") else {}
        ws.apply_submission(user, view_id, data)
        if data.get("response_action") in ("push", "update"):
            reply.view = ws.top_modal(user)
        return reply


    async def back(self, *, user: str = "U0ALICE", everything: bool = False) -> Reply | None:
        """The person closes the top modal (Back, or × for `everything`), as Slack does: the
        view goes, and the app hears `view_closed` when the view asked for it."""
        ws = self.emulator.workspace
        top = ws.top_modal(user)
        if top is None:
            raise AssertionError(f"{user} has no modal open")
        everything = everything or bool(top.get("clear_on_close"))
        ws.pop_modal(user, everything=everything)
        if not top.get("notify_on_close"):
            return None
        return await self.send_payload({
            "type": "view_closed", "team": {"id": TEAM_ID}, "user": self._user(user),
            "api_app_id": "A0CSP", "view": top, "is_cleared": everything,
        })


def state_values(view: dict, values: dict[str, Any]) -> dict[str, dict]:
    """`view.state.values` for the input blocks of `view`, filled from {block_id: value}."""
    state: dict[str, dict] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"])
        state[block["block_id"]] = {element["action_id"]: element_state(element, value)}
    unknown = set(values) - set(state)
    if unknown:
        raise KeyError(f"no input blocks {sorted(unknown)} in view {view.get('callback_id')}")
    return state


def element_state(element: dict, value: Any) -> dict:
    kind = element["type"]
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        return {"type": kind, "value": None if value is None else str(value)}
    if kind in ("static_select", "external_select", "radio_buttons"):
        if value is None:
            return {"type": kind, "selected_option": None}
        return {"type": kind, "selected_option": _option(element, str(value))}
    if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        chosen = [] if value is None else [value] if isinstance(value, str) else list(value)
        return {"type": kind, "selected_options": [_option(element, str(v)) for v in chosen]}
    if kind == "datepicker":
        return {"type": kind, "selected_date": None if value is None else str(value)}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    raise ValueError(f"the emulator cannot fill a {kind}")


def _option(element: dict, value: str) -> dict:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    for option in options:
        if option["value"] == value:
            return option
    if element["type"] in ("static_select", "radio_buttons", "checkboxes", "multi_static_select"):
        raise ValueError(f"{value!r} is not an option of {element.get('action_id')}")
    return {"text": {"type": "plain_text", "text": value}, "value": value}
