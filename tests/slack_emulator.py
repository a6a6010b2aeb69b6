"""A fake Slack for tests: the Web API on an ephemeral loopback port, and a driver that sends
correctly signed slash commands, block actions, block suggestions and view submissions to the
running app over HTTP.

The Web API side records every call with its JSON, keeps the messages and views the bot
created (so a test can read what a person would see), and can answer an error or a 429 on
demand.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0CSP"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class UploadedFile:
    """A file uploaded the external way (files_upload_v2): announced with its name and length
    (files.getUploadURLExternal), its bytes POSTed to the URL given, then shared
    (files.completeUploadExternal)."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    title: str | None = None
    content: bytes | None = None  # None until the bytes arrive
    channel: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    user: str | None = None  # set for ephemeral messages
    thread_ts: str | None = None
    history: list[dict] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)  # shared with the message

    @property
    def all_text(self) -> str:
        """The text a person sees: the fallback and every text object in the blocks."""
        return self.text + "\n" + blocks_text(self.blocks)


def blocks_text(blocks: list[dict] | None) -> str:
    """Every piece of text in a list of blocks, in order, for assertions."""
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


class SlackEmulator:
    """Slack's Web API, enough of it for the bot; see `handle()` for the methods."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[Message]] = defaultdict(list)
        self.views: dict[str, dict] = {}
        self.home: dict[str, dict] = {}
        self.response_urls: dict[str, list[dict]] = defaultdict(list)
        self.usergroups: dict[str, list[str]] = {}
        self.users: dict[str, dict] = {}
        self._failures: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_connected = asyncio.Event()
        self._envelopes: dict[str, asyncio.Future] = {}
        self.files: dict[str, UploadedFile] = {}

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> SlackEmulator:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # e.g. usergroups.users.list
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, key: str | None = None) -> str:
        return f"{self.url}/response/{key or next(self._ids)}"

    # --- test controls ----------------------------------------------------------------------

    def fail(self, method: str, error: str = "internal_error", times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._failures[method].extend([(error, None)] * times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer 429 with Retry-After."""
        self._failures[method].extend([("ratelimited", retry_after)] * times)

    def calls_of(self, method: str) -> list[dict]:
        return [c.args for c in self.calls if c.method == method]

    def last_message(self, channel: str) -> Message:
        return self.messages[channel][-1]

    def message(self, channel: str, ts: str) -> Message:
        return next(m for m in self.messages[channel] if m.ts == ts)

    def ephemerals(self, user: str) -> list[Message]:
        return [m for ms in self.messages.values() for m in ms if m.user == user]

    # --- the Web API ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(await request.post())
            for key in ("blocks", "view", "attachments"):
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        for key, value in request.query.items():  # slack-sdk sends some methods' args there
            args.setdefault(key, value)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token")
        self.calls.append(Call(method, args, token))
        if self._failures[method]:
            error, retry_after = self._failures[method].pop(0)
            if retry_after is not None:
                return web.json_response(
                    {"ok": False, "error": error},
                    status=429,
                    headers={"Retry-After": str(retry_after)},
                )
            return web.json_response({"ok": False, "error": error})
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        return web.json_response(self.handle(method, args))

    def handle(self, method: str, args: dict) -> dict:
        if method == "auth.test":
            return {
                "ok": True, "url": "https://csp.example.slack.com/", "team": "CSP Reseller",
                "user": "csp-bot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            return self._post(args, user=None)
        if method == "chat.postEphemeral":
            answer = self._post(args, user=args["user"])
            return {"ok": True, "message_ts": answer["ts"]}
        if method == "chat.update":
            message = next(
                (m for m in self.messages[args["channel"]] if m.ts == args["ts"]), None
            )
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message.history.append({"text": message.text, "blocks": message.blocks})
            message.text = args.get("text", message.text)
            message.blocks = _as_list(args.get("blocks", message.blocks))
            return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        if method == "conversations.open":
            users = args.get("users", "")
            return {"ok": True, "channel": {"id": "D" + users.replace(",", "")}}
        if method in ("views.open", "views.push"):
            return {"ok": True, "view": self.store_view(_as_dict(args["view"]))}
        if method == "views.update":
            view_id = args.get("view_id") or args.get("external_id")
            if view_id not in self.views:
                return {"ok": False, "error": "not_found"}
            if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
                return {"ok": False, "error": "hash_conflict"}
            return {"ok": True, "view": self.store_view(_as_dict(args["view"]), view_id)}
        if method == "views.publish":
            view = self.store_view(_as_dict(args["view"]))
            self.home[args["user_id"]] = view
            return {"ok": True, "view": view}
        if method == "users.info":
            user = args["user"]
            return {"ok": True, "user": self.users.get(user, _user(user))}
        if method == "usergroups.users.list":
            group = args["usergroup"]
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.usergroups[group]}
        if method == "files.getUploadURLExternal":
            return self._upload_url(args)
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        return {"ok": True}

    # --- files_upload_v2 ----------------------------------------------------------------------

    def _upload_url(self, args: dict) -> dict:
        try:
            length = int(args["length"])
        except (KeyError, TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if not args.get("filename") or length < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = UploadedFile(file_id, args["filename"], length, args.get("alt_txt"))
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.files.get(request.match_info["file_id"])
        if upload is None or upload.content is not None:
            return web.Response(status=404, text="invalid_upload")
        upload.content = await request.read()
        return web.Response(text=f"OK - {len(upload.content)}")

    def _complete_upload(self, args: dict) -> dict:
        try:
            wanted = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
        except (KeyError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        shared = []
        for item in wanted:
            upload = self.files.get(item.get("id", ""))
            if upload is None or upload.content is None:
                return {"ok": False, "error": "file_not_found"}
            if len(upload.content) != upload.length:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            upload.title = item.get("title") or upload.filename
            shared.append(upload)
        channel = args.get("channel_id")
        if channel:
            if channel.startswith("U"):
                channel = "D" + channel
            for upload in shared:
                upload.channel = channel
            ts = f"{1700000000 + next(self._ts)}.000100"
            self.messages[channel].append(Message(channel, ts, args.get("initial_comment", ""),
                                                  [], thread_ts=args.get("thread_ts"),
                                                  files=shared))
        return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in shared]}

    def store_view(self, view: dict, view_id: str | None = None) -> dict:
        """Keeps a view the way Slack does: with an id, a fresh hash, and empty state."""
        view_id = view_id or f"V{next(self._ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "hash": f"{time.time():.6f}.{next(self._ids)}",
            "state": {"values": {}},
            "team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        stored.setdefault("private_metadata", "")
        stored.setdefault("callback_id", "")
        self.views[view_id] = stored
        return stored

    def _post(self, args: dict, user: str | None) -> dict:
        channel = args["channel"]
        if channel.startswith("U"):  # posting to a user id opens the DM with the app
            channel = "D" + channel
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        message = Message(
            channel=channel, ts=ts, text=args.get("text", ""),
            blocks=_as_list(args.get("blocks")), user=user, thread_ts=args.get("thread_ts"),
        )
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": message.text}}

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

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.response_urls[request.match_info["key"]].append(payload)
        self.calls.append(Call("response_url", payload, None))
        return web.json_response({"ok": True})


def _as_list(value: Any) -> list[dict]:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


def _as_dict(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _user(user_id: str) -> dict:
    name = user_id.lower()
    return {"id": user_id, "name": name, "real_name": name.title(), "tz": "Europe/Amsterdam",
            "tz_offset": 3600, "is_bot": False}


# --- the driver: Slack's side of the requests to the app ---------------------------------------


@dataclass
class Reply:
    """The app's HTTP answer, and for view submissions the view Slack would now show."""

    status: int
    body: str
    view: dict | None = None

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
        self._triggers = itertools.count(1)
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

    def trigger_id(self) -> str:
        return f"{next(self._triggers)}.{int(time.time())}.trigger"

    # --- what users do ----------------------------------------------------------------------

    async def command(
        self, text: str, *, user: str = "U0ALICE", channel: str = "C0STAFF", command: str = "/csp",
        **kw,
    ) -> Reply:
        fields = {
            "token": "verification-token-unused", "team_id": TEAM_ID, "team_domain": "csp",
            "channel_id": channel, "channel_name": "staff", "user_id": user,
            "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": "A0CSP", "response_url": self.emulator.response_url(),
            "trigger_id": self.trigger_id(),
        }
        return await self.send_form(fields, **kw)

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
            "api_app_id": "A0CSP", "trigger_id": self.trigger_id(), "actions": [action],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view["id"]}
        if message is not None:
            payload["channel"] = {"id": message.channel}
            payload["message"] = {"ts": message.ts, "text": message.text,
                                  "blocks": message.blocks}
            payload["container"] = {"type": "message", "message_ts": message.ts,
                                    "channel_id": message.channel}
            payload["response_url"] = self.emulator.response_url()
        return await self.send_payload(payload)

    async def event(self, event: dict[str, Any]) -> Reply:
        """An Events API callback (JSON body, signed), e.g. `app_home_opened`."""
        body = json.dumps({
            "token": "verification-token-unused", "team_id": TEAM_ID, "api_app_id": "A0CSP",
            "type": "event_callback", "event_id": f"Ev{next(self._triggers):08d}",
            "event_time": int(time.time()), "event": event,
        })  # fmt: skip
        return await self.post(body, "application/json", self.signed_headers(body))

    async def open_home(self, user: str = "U0ALICE") -> Reply:
        """The user opens the app's Home tab."""
        return await self.event({"type": "app_home_opened", "user": user, "tab": "home",
                                 "channel": "D" + user, "event_ts": f"{time.time():.6f}"})

    def as_message(self, reply: Reply, channel: str = "C0STAFF") -> Message:
        """The ephemeral message a command's answer shows, so a test can click its buttons."""
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
        self, view: dict, values: dict[str, Any] | None = None, *, user: str = "U0ALICE"
    ) -> Reply:
        """Submits a modal with `values` keyed by block_id, as Slack builds `state.values`."""
        submitted = {**view, "state": {"values": state_values(view, values or {})}}
        payload = {
            "type": "view_submission", "team": {"id": TEAM_ID}, "user": self._user(user),
            "api_app_id": "A0CSP", "trigger_id": self.trigger_id(), "view": submitted,
        }
        reply = await self.send_payload(payload)
        data = reply.json if reply.body.startswith("{") else {}
        if data.get("response_action") in ("push", "update"):
            view_id = None if data["response_action"] == "push" else view.get("id")
            reply.view = self.emulator.store_view(data["view"], view_id)
        return reply


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
