"""Every Slack request measured and named: its kind, its outcome, how long Slack waited for
the answer, and a correlation id that every log line written for it carries.

Two places see a Slack request, and the outermost one measures it:
- in HTTP mode, an aiohttp middleware on the events path, so the time includes reading the
  body and checking the signature, and a request refused before bolt still counts;
- the bolt dispatch itself, which is all a Socket Mode envelope goes through.
The dispatch names the kind from the payload; `note_error` (called by the one error handler)
says a listener failed, which the answer's status alone would hide (the user still gets a 200
with a friendly message).

Web API calls are observed by a retry handler that never retries: slack-sdk asks every retry
handler about every response, and bolt copies the runtime client's handlers into the client it
builds for each request, so one handler sees every call either makes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.app import log_context
from bot.core.errors import DomainError

access_log = logging.getLogger("csp_bot.slack.access")

#: Payload `type` → the kind label (a slash command's payload has `command`, no `type`).
KINDS = {
    "block_actions": "action",
    "interactive_message": "action",
    "view_submission": "view_submission",
    "view_closed": "view_closed",
    "block_suggestion": "options",
    "event_callback": "event",
    "url_verification": "event",
    "shortcut": "shortcut",
    "message_action": "shortcut",
}
OK, USER_ERROR, ERROR, UNHANDLED = "ok", "user_error", "error", "unhandled"


def kind_of(body: Any) -> str:
    if not isinstance(body, dict):
        return "other"
    if "command" in body and "type" not in body:
        return "command"
    return KINDS.get(str(body.get("type")), "other")


def outcome_of_status(status: int) -> str:
    if status < 400:
        return OK
    if status in (401, 403):
        return "rejected"  # unsigned, stale or forged
    if status == 404:
        return UNHANDLED  # no listener for it
    if status == 503:
        return "draining"  # shutting down: Slack retries elsewhere
    return "bad_request" if status < 500 else ERROR


@dataclass
class Observation:
    correlation_id: str
    kind: str = "unknown"
    status: int | None = None
    outcome: str | None = None  # set when a listener failed behind a 200
    started: float = field(default_factory=time.perf_counter)


_current: ContextVar[Observation | None] = ContextVar("slack_observation", default=None)


@asynccontextmanager
async def observing(metrics: Any) -> AsyncIterator[Observation]:
    """The current Slack request's observation; the outermost caller opens and records it."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    obs = Observation(log_context.new_correlation_id())
    token, cid = _current.set(obs), log_context.correlation_id.set(obs.correlation_id)
    try:
        yield obs
    except BaseException:
        obs.outcome = ERROR
        raise
    finally:
        seconds = time.perf_counter() - obs.started
        outcome = obs.outcome or (outcome_of_status(obs.status) if obs.status else ERROR)
        metrics.slack_request(obs.kind, outcome, seconds)
        access_log.info(
            "slack %s answered %s in %.1f ms (%s)", obs.kind, obs.status, seconds * 1000, outcome
        )
        log_context.correlation_id.reset(cid)
        _current.reset(token)


def note_unhandled() -> None:
    """Called by the error handler for what no listener claimed (it answers 200 itself)."""
    obs = _current.get()
    if obs is not None and obs.outcome is None:
        obs.outcome = UNHANDLED


def note_error(error: BaseException) -> str:
    """Called by the error handler: marks the request as failed (a DomainError is the
    user's) and returns the reference to show them, the correlation id of the log lines."""
    obs = _current.get()
    if obs is not None and obs.outcome is None:
        obs.outcome = USER_ERROR if isinstance(error, DomainError) else ERROR
    return log_context.correlation_id.get() or log_context.new_correlation_id()


def observe_dispatch(app: Any, metrics: Any) -> None:
    """Wraps `app.async_dispatch` (bolt's one entry, in both modes) in `observing`."""
    dispatch: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]] = app.async_dispatch

    async def observed(request: AsyncBoltRequest) -> BoltResponse:
        async with observing(metrics) as obs:
            obs.kind = kind_of(getattr(request, "body", None))
            response = await dispatch(request)
            obs.status = response.status
            return response

    app.async_dispatch = observed


def slack_middleware(metrics: Any, path: str) -> Middleware:
    """An aiohttp middleware observing the requests to Slack's endpoint `path`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler
                         ) -> web.StreamResponse:
        if request.path != path:
            return await handler(request)
        async with observing(metrics) as obs:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                obs.status = exc.status
                raise
            obs.status = response.status
            return response

    return middleware


# --- the Web API ------------------------------------------------------------------------------


class WebApiObserver(AsyncRetryHandler):
    """Counts every Web API response by method and outcome, and the 429s; never retries."""

    def __init__(self, metrics: Any) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None,
                              error: Exception | None = None) -> bool:
        method = str(request.url).rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        if response is None:
            outcome = "connection_error" if error is not None else ERROR
        elif response.status_code == 429:
            outcome = "ratelimited"
        elif response.status_code >= 400:
            outcome = f"http_{response.status_code}"
        else:
            body = response.body if isinstance(response.body, dict) else {}
            outcome = OK if body.get("ok", True) else str(body.get("error") or ERROR)
        self.metrics.slack_api_call(method, outcome)
        return False


def observe_web_api(client: Any, metrics: Any) -> None:
    """Puts a `WebApiObserver` first among the client's retry handlers."""
    handlers = getattr(client, "retry_handlers", None)
    if handlers is None:
        return
    if not any(isinstance(h, WebApiObserver) for h in handlers):
        handlers.insert(0, WebApiObserver(metrics))
