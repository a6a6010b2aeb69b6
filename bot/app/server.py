"""Serving: Slack's HTTP endpoint or Socket Mode, health checks, and a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app.config import ConnectionMode, Settings
from bot.app.metrics import metrics_handler
from bot.app.runtime import Runtime
from bot.app.slack_gate import MAX_BODY_BYTES, Verdict, check_request
from bot.app.slack_observe import slack_middleware
from store.migrate import is_current

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
RUNTIME_KEY = web.AppKey("runtime", Runtime)
BOLT_KEY = web.AppKey("bolt", AsyncApp)
#: Bodies up to this size are read on the event loop (well under a millisecond).
INLINE_BODY_BYTES = 32 * 1024


async def slack_events(request: web.Request) -> web.Response:
    """Slack's requests, checked by `bot.app.slack_gate` before bolt sees them. Bolt verifies the
    signature once more (its middleware stays on): a second HMAC costs microseconds."""
    runtime = request.app[RUNTIME_KEY]
    if runtime.draining:
        return web.Response(status=503, text="shutting down")
    try:
        raw = await request.read()  # bounded by the app's client_max_size
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": "body too large"}, status=400)
    secret = runtime.settings.slack_signing_secret
    # the content type as bolt reads it (`extract_content_type`), not aiohttp's normalised one
    content_type = (request.headers.get("Content-Type") or "").split(";")[0] or None

    def read() -> tuple[Verdict, AsyncBoltRequest | None]:
        verdict, text = check_request(
            secret.get_secret_value() if secret else None, request.headers, raw, content_type
        )
        if not verdict.passed:
            return verdict, None
        return verdict, AsyncBoltRequest(
            body=text, query=request.query_string, headers=request.headers  # type: ignore[arg-type]
        )

    # Decoding a large body is mostly Python code (percent-decoding): in a thread, the event
    # loop gets the interpreter back every few milliseconds instead of waiting for it.
    verdict, bolt_request = read() if len(raw) <= INLINE_BODY_BYTES else (
        await asyncio.to_thread(read)
    )
    if verdict.status == 200:  # Slack's certificate check: nothing to do
        return web.Response(status=200)
    if bolt_request is None:
        log.info("refused a request to %s: %s (%s)", EVENTS_PATH, verdict.status, verdict.reason)
        return web.json_response({"error": verdict.reason}, status=verdict.status)
    bolt_response = await request.app[BOLT_KEY].async_dispatch(bolt_request)
    return await to_aiohttp_response(bolt_response)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers and its schema is at the newest migration."""
    runtime = request.app[RUNTIME_KEY]
    if runtime.draining:
        return web.json_response({"status": "draining"}, status=503)
    try:
        await runtime.db.ping()
        current = await is_current(runtime.db.engine)
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc.__class__.__name__)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    if not current:
        return web.json_response(
            {"status": "unavailable", "database": "migrations pending"}, status=503
        )
    return web.json_response({"status": "ok", "database": "ok"})


def build_web_app(runtime: Runtime, bolt: AsyncApp, *, slack_endpoint: bool = True
                  ) -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app[RUNTIME_KEY] = runtime
    web_app[BOLT_KEY] = bolt
    if slack_endpoint:
        web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics_handler(runtime.metrics))
    web_app.middlewares.append(slack_middleware(runtime.metrics, EVENTS_PATH))
    return web_app


class Server:
    """Runs the bot until `stop()`: HTTP mode or Socket Mode, plus health checks."""

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        from bot.app.slack_app import build_app

        self.settings = settings
        self.runtime = runtime or Runtime(settings)
        self.bolt = build_app(self.runtime)
        self.mode = settings.mode
        self.web_app = build_web_app(
            self.runtime, self.bolt, slack_endpoint=self.mode is not ConnectionMode.SOCKET
        )
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._slack_session: aiohttp.ClientSession | None = None
        self.port: int | None = None
        self._stopped = asyncio.Event()

    async def start(self, *, background: bool = True) -> None:
        await self.runtime.start(background=background)
        self._keep_slack_connections()
        try:
            await self.bolt.authorization.prime()
        except Exception as exc:  # Slack unreachable now: the first request tries again
            log.warning("auth.test failed at start-up (%s); will retry on the first request", exc)
        self._runner = web.AppRunner(self.web_app, handle_signals=False, shutdown_timeout=20)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        app_token = self.settings.slack_app_token  # set whenever the mode is Socket Mode
        if self.mode is ConnectionMode.SOCKET and app_token is not None:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, app_token.get_secret_value())
            # slack_bolt leaves the handler's methods unannotated
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("connected to Slack in Socket Mode; health checks on port %s", self.port)
        else:
            log.info(
                "listening for Slack on http://%s:%s%s", self.settings.host, self.port, EVENTS_PATH
            )

    def _keep_slack_connections(self) -> None:
        """One aiohttp session, so one pool of kept-alive connections, for every Web API call:
        the runtime's client and the clients bolt makes for each request (built from
        `bolt.client`, whose session they take). Without it slack_sdk opens a session, and a
        new connection (and TLS handshake), for every call, views.open included."""
        clients = [c for c in (self.runtime.slack, self.bolt.client) if c.session is None]
        if not clients:
            return
        self._slack_session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=max(c.timeout for c in clients)))
        for client in clients:
            client.session = self._slack_session

    async def stop(self) -> None:
        """Stop taking work, let in-flight requests finish, stop loops, close the database."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.runtime.draining = True
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # unannotated
        if self._runner is not None:
            await self._runner.cleanup()
        await self.runtime.stop()
        if self._slack_session is not None:
            await self._slack_session.close()
        log.info("stopped cleanly")

    async def run_until_signalled(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        await stop.wait()
        log.info("signal received: shutting down")
        await self.stop()
