"""The bot and a stand-in for Slack, served together by one aiohttp app on one port.

The bot runs in HTTP mode on the same app (`/slack/events`, as in production) with a bot token
and signing secret made up at start; its Web API base URL (SLACK_API_URL) is this app's `/api/`.
The page (`/`) plays the people; the playground signs what they do and sends it to the bot.
Everything lives in memory and in a temporary SQLite database, on the sandbox provider: a
restart starts from the seeded demo world.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from bot.app.config import ProviderName, Settings
from bot.app.runtime import Runtime
from bot.app.server import EVENTS_PATH, build_web_app
from bot.provider.sandbox import SandboxProvider
from playground.bot_link import ACK_SECONDS, BotLink
from playground.interactions import Interactions
from playground.page_api import PageApi
from playground.payments import add_payment_routes
from playground.roles import PLAYGROUND_ADMIN, seed_playground_roles
from playground.slack.web_api import SlackWebApi
from playground.slack.workspace import APPROVALS_CHANNEL, Workspace

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"


def playground_settings(
    settings: Settings, *, api_url: str, bot_token: str, signing_secret: str, database_url: str,
) -> Settings:
    """The operator's settings, with Slack, the provider and the cast set for the playground."""
    values = settings.model_dump()
    values.update(
        slack_bot_token=SecretStr(bot_token),
        slack_app_token=None,
        slack_signing_secret=SecretStr(signing_secret),
        slack_api_url=api_url,
        database_url=database_url,
        csp_provider=ProviderName.SANDBOX,
        csp_sandbox_state=None,
        csp_admins=PLAYGROUND_ADMIN,
        csp_approvals_channel=APPROVALS_CHANNEL,
        csp_support_usergroup=None,
    )
    return Settings(_env_file=None, **values)


class Playground:
    """Runs the bot with the playground until `stop()`; `url` is the page once started."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = DEFAULT_HOST,
        port: int = 3000,
        database_url: str | None = None,
        runtime_factory: Callable[[Settings], Runtime] | None = None,
        ack_seconds: float = ACK_SECONDS,
    ) -> None:
        self.operator_settings = settings
        self.host = host
        self.requested_port = port
        self.ack_seconds = ack_seconds
        self._database_url = database_url
        self._runtime_factory = runtime_factory or Runtime
        self._tmp: str | None = None
        self._runner: web.AppRunner | None = None
        self._stopped = False
        self.workspace = Workspace()
        self.runtime: Runtime | None = None
        self.port = 0
        self.url = ""

    async def start(self, *, background: bool = True) -> None:
        sock = _bind(self.host, self.requested_port)
        try:
            await self._start(sock, background)
        except BaseException:
            sock.close()
            if self.runtime is not None:
                await self.runtime.stop()
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
            raise

    async def _start(self, sock: socket.socket, background: bool) -> None:
        self.port = sock.getsockname()[1]
        local = DEFAULT_HOST if self.host in ("0.0.0.0", "", "::") else self.host
        base = f"http://{local}:{self.port}"
        self.url = base + "/"
        bot_token = "xoxb-playground-" + secrets.token_hex(12)
        signing_secret = secrets.token_hex(16)
        if self._database_url is None:
            self._tmp = tempfile.mkdtemp(prefix="csp-playground-")
            self._database_url = f"sqlite+aiosqlite:///{Path(self._tmp) / 'playground.db'}"
        self.settings = playground_settings(
            self.operator_settings, api_url=base + "/api/", bot_token=bot_token,
            signing_secret=signing_secret, database_url=self._database_url,
        )
        self.runtime = self._runtime_factory(self.settings)
        from bot.app.slack_app import build_app

        self.bolt = build_app(self.runtime)
        self.web_app = build_web_app(self.runtime, self.bolt)
        self.api = SlackWebApi(self.workspace, bot_token, base)
        self.api.add_routes(self.web_app)
        self.link = BotLink(base + EVENTS_PATH, signing_secret, self.ack_seconds)
        self.interactions = Interactions(self.workspace, self.link, base)
        self.page = PageApi(self.workspace, self.interactions, lambda: self.bolt.router.entries)
        self.page.add_routes(self.web_app)
        if isinstance(self.runtime.provider, SandboxProvider):
            add_payment_routes(self.web_app, self.runtime.provider, base)

        await self.runtime.start(background=background)
        await seed_playground_roles(self.runtime)
        self._runner = web.AppRunner(
            self.web_app, handle_signals=False, shutdown_timeout=5, access_log=None
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        log.info("playground on %s (bot on %s%s)", self.url, base, EVENTS_PATH)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.runtime is None:
            return
        self.runtime.draining = True
        await self.link.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.runtime.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    async def run_until_signalled(self, ready: Callable[[str], None] | None = None) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        if ready is not None:
            ready(self.url)
        await stop.wait()
        await self.stop()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound first so the bot can be told the port (also for port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock
