"""Slack's Web API as the playground plays it: the methods the bot calls, on the workspace.

Arguments arrive as Slack accepts them (JSON, or form fields with JSON-encoded `blocks` and
`view`); answers have Slack's shape and error codes. A method the playground does not know
answers `unknown_method` and is reported on the page, so nothing the bot does goes unseen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from playground.slack.errors import SlackError
from playground.slack.limits import check_message
from playground.slack.workspace import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_ID,
    Workspace,
)

log = logging.getLogger(__name__)

Method = Callable[[dict], dict]
JSON_ARGS = ("blocks", "view", "attachments", "metadata")


class SlackWebApi:
    """`POST /api/{method}` and `POST /response/{key}` for one workspace and one bot token."""

    def __init__(self, workspace: Workspace, bot_token: str, base_url: str = "") -> None:
        self.workspace = workspace
        self.bot_token = bot_token
        self.base_url = base_url  # where the page is, for permalinks
        self.calls: list[tuple[str, dict]] = []
        self.methods: dict[str, Method] = {
            "api.test": lambda args: {"args": args},
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update_message,
            "chat.delete": self.delete_message,
            "chat.getPermalink": self.permalink,
            "conversations.open": self.open_conversation,
            "conversations.info": self.conversation_info,
            "views.open": self.open_view,
            "views.push": self.push_view,
            "views.update": self.update_view,
            "views.publish": self.publish_view,
            "users.info": self.user_info,
            "usergroups.users.list": self.usergroup_members,
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self.handle)
        app.router.add_get("/api/{method}", self.handle)  # slack_sdk GETs some reads
        app.router.add_post("/response/{key}", self.handle_response_url)

    # --- HTTP ---------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        args = await _arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(args.pop("token", ""))
        return self.call(name, args, token)

    def call(self, name: str, args: dict, token: str) -> web.Response:
        """One Web API call, already parsed: Slack's answer to it."""
        self.calls.append((name, args))
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token != self.bot_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        method = self.methods.get(name)
        if method is None:
            self.workspace.notice(
                "warning",
                f"The bot called `{name}`, which the playground does not implement; "
                "it answered `unknown_method`.",
            )
            return web.json_response({"ok": False, "error": "unknown_method"})
        try:
            return web.json_response({"ok": True, **method(args)})
        except SlackError as error:
            detail = f" ({error.detail})" if error.detail else ""
            self.workspace.notice("warning", f"`{name}` answered `{error.code}`{detail}.")
            answer: dict[str, Any] = {"ok": False, "error": error.code}
            if error.detail:
                answer["response_metadata"] = {"messages": [error.detail]}
            return web.json_response(answer)
        except (KeyError, TypeError, ValueError) as error:
            self.workspace.notice("warning", f"`{name}` got bad arguments: {error!r}.")
            return web.json_response({"ok": False, "error": "invalid_arguments"})

    async def handle_response_url(self, request: web.Request) -> web.Response:
        """What Slack does with a POST to a `response_url` (bolt's `respond()`)."""
        body = await _arguments(request)
        return self.respond(request.match_info["key"], body)

    def respond(self, key: str, body: dict) -> web.Response:
        self.calls.append(("response_url", body))
        try:
            status, text = self.workspace.respond(key, body)
        except SlackError as error:
            self.workspace.notice("warning", f"A response_url answered `{error.code}`.")
            return web.Response(status=400, text=error.code)
        return web.Response(status=status, text=text)

    # --- methods ------------------------------------------------------------------------------

    def auth_test(self, _args: dict) -> dict:
        return {
            "url": self.workspace.url, "team": self.workspace.team_name, "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False,
        }

    def post_message(self, args: dict) -> dict:
        _require_channel(args)
        check_message(args)
        message = self.workspace.post(
            args["channel"], args.get("text", ""), args.get("blocks"),
            thread_ts=args.get("thread_ts"), attachments=args.get("attachments"),
        )
        return {"channel": message.channel, "ts": message.ts,
                "message": {"text": message.text, "blocks": message.blocks, "ts": message.ts,
                            "user": BOT_USER_ID, "bot_id": BOT_ID, "type": "message"}}

    def post_ephemeral(self, args: dict) -> dict:
        _require_channel(args)
        check_message(args)
        if not args.get("user"):
            raise SlackError("user_not_in_channel")
        message = self.workspace.post(
            args["channel"], args.get("text", ""), args.get("blocks"),
            ephemeral_to=args["user"], thread_ts=args.get("thread_ts"),
            attachments=args.get("attachments"),
        )
        return {"message_ts": message.ts}

    def update_message(self, args: dict) -> dict:
        message = self.workspace.find_message(args["channel"], args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        if message.ephemeral_to is not None:
            raise SlackError("cant_update_message", "ephemeral messages cannot be updated")
        check_message(args, need_content=False)
        self.workspace.update_message(
            message, args.get("text"), args.get("blocks"), args.get("attachments")
        )
        return {"channel": message.channel, "ts": message.ts, "text": message.text}

    def delete_message(self, args: dict) -> dict:
        message = self.workspace.find_message(args["channel"], args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        self.workspace.delete_message(message)
        return {"channel": message.channel, "ts": message.ts}

    def permalink(self, args: dict) -> dict:
        channel = self.workspace.resolve_channel(args["channel"])
        ts = args.get("message_ts") or args["ts"]
        link = f"{self.base_url}/?where={channel}#{ts}"
        return {"channel": channel, "permalink": link}

    def open_conversation(self, args: dict) -> dict:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if len(users) != 1:
            raise SlackError("not_implemented", "the playground opens DMs with one person")
        return {"channel": {"id": self.workspace.dm_channel(users[0]), "is_im": True}}

    def conversation_info(self, args: dict) -> dict:
        channel = self.workspace.resolve_channel(args["channel"])
        name = self.workspace.channels.get(channel, "")
        return {"channel": {"id": channel, "name": name, "is_im": channel.startswith("D"),
                            "is_member": True}}

    def open_view(self, args: dict) -> dict:
        user = self.workspace.use_trigger(args.get("trigger_id"))
        return {"view": self.workspace.open_modal(user, _view(args))}

    def push_view(self, args: dict) -> dict:
        user = self.workspace.use_trigger(args.get("trigger_id"))
        return {"view": self.workspace.push_modal(user, _view(args))}

    def update_view(self, args: dict) -> dict:
        ws = self.workspace
        current = ws.find_view(args.get("view_id"), args.get("external_id"))
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = _view(args)
        if view.get("type") != current.get("type"):
            raise SlackError("invalid_arguments", "views.update cannot change a view's type")
        return {"view": ws.store_view(view, ws.view_owner[current["id"]], current["id"])}

    def publish_view(self, args: dict) -> dict:
        view = _view(args)
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", "views.publish takes a view of type home")
        ws = self.workspace
        current = ws.views.get(ws.home.get(args["user_id"], ""))
        if args.get("hash") and current is not None and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return {"view": ws.publish_home(args["user_id"], view)}

    def user_info(self, args: dict) -> dict:
        user = args["user"]
        if user not in self.workspace.people:
            raise SlackError("user_not_found")
        return {"user": self.workspace.person_json(user)}

    def usergroup_members(self, args: dict) -> dict:
        group = args["usergroup"]
        if group not in self.workspace.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.workspace.usergroups[group])}


async def _arguments(request: web.Request) -> dict:
    args: dict = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.method == "POST":
        args.update(await request.post())
    for key in JSON_ARGS:
        if isinstance(args.get(key), str) and args[key]:
            args[key] = json.loads(args[key])
    return args


def _view(args: dict) -> dict:
    """The `view` argument; its content is checked where it is stored (`store_view`)."""
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", "view is missing")
    return view


def _require_channel(args: dict) -> None:
    if not args.get("channel"):
        raise SlackError("channel_not_found")
