"""The JSON endpoints the page talks to, and its event stream.

The page never talks to the bot: it tells the playground what the person did (a command, a
click, a typed search, a submission, a close), and the playground sends the bot what Slack
would send. The page learns about changes from a server-sent event stream and then reads the
workspace as the current person sees it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.core.i18n import LANGUAGES, supported
from playground.chrome import SLACK_LOCALES, chrome_texts, language_choices
from playground.interactions import Interactions
from playground.slack.workspace import SlackError, Workspace

STATIC_DIR = Path(__file__).parent / "static"
API = "/playground/api"
KEEPALIVE_SECONDS = 15.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageApi:
    def __init__(self, workspace: Workspace, interactions: Interactions, commands) -> None:
        self.ws = workspace
        self.interactions = interactions
        self.commands = commands  # a callable returning the router's entries
        self.closing = False

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_get("/playground", self.index)
        app.router.add_static("/playground/static", STATIC_DIR)
        app.router.add_get(f"{API}/state", _guarded(self.state))
        app.router.add_get(f"{API}/events", self.events)
        app.router.add_get(f"{API}/commands", self.command_list)
        posts: dict[str, Handler] = {
            "session": self.session, "command": self.command, "message": self.message,
            "action": self.action, "suggest": self.suggest, "submit": self.submit,
            "close": self.close, "home": self.home, "language": self.language,
        }
        for name, handler in posts.items():
            app.router.add_post(f"{API}/{name}", _guarded(handler))
        app.on_shutdown.append(self._shutdown)

    async def _shutdown(self, _app: web.Application) -> None:
        self.closing = True
        self.ws.changed()

    # --- reading --------------------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def state(self, request: web.Request) -> web.Response:
        return self._state_of(self._person(request.query.get("user")))

    def _state_of(self, user_id: str) -> web.Response:
        """The workspace as this person sees it, with the page's own words and its language
        switcher (the playground's, not Slack's: the fake knows no languages)."""
        locale = self.ws.locales.get(user_id)
        return web.json_response({
            **self.ws.snapshot(user_id),
            "language": supported(locale) or "en",
            "languages": language_choices(),
            "chrome": chrome_texts(locale),
        })

    async def command_list(self, _request: web.Request) -> web.Response:
        # the suggestions are plain text: the summaries' mrkdwn code marks would show raw
        entries = [{"name": e.name, "summary": e.summary.replace("`", ""), "example": e.example}
                   for e in self.commands()]
        return web.json_response({"command": "/csp", "subcommands": entries})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """`data: <version>` whenever the workspace changes (and as a keep-alive)."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        seen = -1
        try:
            while not self.closing:
                seen = await self.ws.wait_change(seen, KEEPALIVE_SECONDS)
                if self.closing:
                    break
                await response.write(f"data: {seen}\n\n".encode())
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    # --- doing ----------------------------------------------------------------------------------

    def _person(self, user_id: object) -> str:
        if not isinstance(user_id, str) or user_id not in self.ws.people:
            raise SlackError("user_not_found", "pick one of the playground's people")
        return user_id

    async def session(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._person(body.get("user"))
        if isinstance(body.get("tz"), str) and body["tz"]:
            for person in self.ws.people:  # one browser, one time zone
                self.ws.time_zones[person] = body["tz"]
        return self._state_of(user)

    async def language(self, request: web.Request) -> web.Response:
        """The language switcher: the person's Slack language changes, and Slack tells the bot
        with a `user_change` event, as it does when someone changes theirs in Slack."""
        body = await request.json()
        user = self._person(body.get("user"))
        language = supported(body.get("language"))
        if language is None:
            raise SlackError("invalid_arguments", "one of " + ", ".join(LANGUAGES))
        self.ws.locales[user] = SLACK_LOCALES[language]
        await self.interactions.user_changed(user)
        self.ws.changed()
        return self._state_of(user)

    async def command(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._person(body.get("user"))
        text = str(body.get("text", "")).strip()
        if not text.startswith("/"):
            raise SlackError("invalid_arguments", "a slash command starts with /")
        answer = await self.interactions.command(user, str(body.get("channel", "")), text)
        return web.json_response({"status": answer.status, "error": answer.error,
                                  "seconds": round(answer.seconds, 3)})

    async def message(self, request: web.Request) -> web.Response:
        """A plain message: shown in the conversation; the bot subscribes to no message events."""
        body = await request.json()
        user = self._person(body.get("user"))
        self.ws.post(str(body.get("channel", "")), str(body.get("text", "")), None, author=user)
        return web.json_response({"ok": True})

    async def action(self, request: web.Request) -> web.Response:
        body = await request.json()
        answer = await self.interactions.action(
            self._person(body.get("user")), body["action"], channel=body.get("channel"),
            message_ts=body.get("message_ts"), view_id=body.get("view_id"),
            state=body.get("state"),
        )
        return web.json_response({"status": answer.status, "error": answer.error})

    async def suggest(self, request: web.Request) -> web.Response:
        body = await request.json()
        groups = await self.interactions.suggest(
            self._person(body.get("user")), body.get("view_id"), str(body["block_id"]),
            str(body["action_id"]), str(body.get("value", "")), body.get("state"),
        )
        return web.json_response({"groups": groups})

    async def submit(self, request: web.Request) -> web.Response:
        body = await request.json()
        result = await self.interactions.submit(
            self._person(body.get("user")), str(body["view_id"]), body.get("state") or {}
        )
        return web.json_response(result)

    async def close(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self.interactions.close(
            self._person(body.get("user")), str(body["view_id"]), body.get("state"),
            everything=bool(body.get("all")),
        )
        return web.json_response({"ok": True})

    async def home(self, request: web.Request) -> web.Response:
        body = await request.json()
        answer = await self.interactions.open_home(self._person(body.get("user")))
        return web.json_response({"status": answer.status, "error": answer.error})


def _guarded(handler: Handler) -> Handler:
    """Bad input from the page becomes a 400 with Slack's error code, never a trace."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SlackError as error:
            return web.json_response({"error": error.code, "detail": error.detail}, status=400)
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as error:
            return web.json_response({"error": "invalid_arguments", "detail": repr(error)},
                                     status=400)

    return guarded
