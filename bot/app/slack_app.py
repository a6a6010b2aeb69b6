"""build_app(runtime) -> AsyncApp: the listeners, the runtime in every context, one error handler.

`process_before_response=True`: bolt's default runs each listener as a task and polls for
`ack()` every 10 ms, adding that to every answer (see docs/benchmarks.md). Our listeners only
read the cache and write the database before they ack — nothing waits on the provider — so
answering when the listener returns is both faster and keeps the 3-second rule.
It also lets the one error handler below turn FormErrors into `response_action="errors"`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.app.runtime import Runtime
from bot.app.slack_auth import WorkspaceAuthorization
from bot.app.slack_gate import response_url_allowed, response_urls_of
from bot.app.slack_observe import note_error, note_unhandled, observe_dispatch
from bot.core.blocks import notice_view
from bot.core.errors import DomainError, FormErrors, OutOfDate
from bot.core.i18n import LANGUAGES, SOURCE_LANGUAGE, _, translations, using
from bot.core.ids import action_ids
from handlers.router import Router

log = logging.getLogger("csp_bot.slack")
#: bolt's `next` in a middleware
Next = Callable[[], Awaitable[BoltResponse | None]]
Middleware = Callable[..., Awaitable[BoltResponse | None]]
#: What Slack answers `views.open`/`views.push` when the click's trigger can no longer open a
#: modal (api.slack.com/methods/views.open: "Errors"): the person's click, not our fault.
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"})


class BotApp(AsyncApp):
    """Bolt's app, with what the bot keeps on it: the authorization the server primes at
    start-up, and the `/csp` router (the help reads its subcommands)."""

    authorization: WorkspaceAuthorization
    router: Router


def build_app(runtime: Runtime) -> BotApp:
    settings = runtime.settings
    secret = settings.slack_signing_secret
    authorization = WorkspaceAuthorization(runtime.slack, context={"runtime": runtime})
    app = BotApp(
        # Bolt gives each request its own client built from this one, with the token that
        # `authorize` found; this one carries the base URL and retry handlers, not the token.
        client=AsyncWebClient(
            base_url=runtime.slack.base_url, retry_handlers=runtime.slack.retry_handlers
        ),
        authorize=authorization.hook(),
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=secret is not None,
        process_before_response=True,
        # what no listener claims reaches `answer_error` as BoltUnhandledRequestError, which
        # answers it (an old button, a renamed modal) instead of bolt's bare 404
        raise_error_for_unhandled_request=True,
        logger=logging.getLogger("csp_bot.bolt"),
    )

    app.authorization = authorization  # primed by the server
    app.use(_response_urls_on_slack(runtime.slack.base_url))
    app.use(_in_their_language(runtime))
    app.error(answer_error)
    observe_dispatch(app, runtime.metrics)  # kind, outcome, ack latency, correlation id
    with using(SOURCE_LANGUAGE):  # the help's summaries are kept in English, shown translated
        app.router = handlers.register(app)
    for language in LANGUAGES:  # catalogues read now, not on the first request's ack path
        translations(language)
    return app


def _in_their_language(runtime: Runtime) -> Middleware:
    """A global middleware: the listener, its views and its answers speak the language of the
    person who clicked or typed (`bot.app.locales`: never a wait on Slack here)."""

    async def speak(body: dict[str, Any], context: AsyncBoltContext, next: Next
                    ) -> BoltResponse | None:
        locale = await runtime.locales.of(user_of(body))
        context["locale"] = locale
        locale.speak()
        return await next()

    return speak


def user_of(body: dict[str, Any]) -> str | None:
    """Who sent a slash command, an interaction or an event."""
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return user if isinstance(user, str) and user else None


def _response_urls_on_slack(api_url: str) -> Middleware:
    """A global middleware: a request whose `response_url` points anywhere but Slack's hosts
    (or the configured Web API's, for the emulator and playground) is refused before any
    listener runs, so neither bolt's `respond` nor the error handler ever posts there. Every
    `response_url` use goes through bolt's `respond`, built from the body: this is its guard."""

    async def guard(body: dict[str, Any], next: Next) -> BoltResponse | None:
        urls = response_urls_of(body)
        if any(not response_url_allowed(url, api_url) for url in urls):
            log.warning("refused a request whose response_url is not on Slack's hosts")
            return _json(400, {"error": "response_url not on Slack"})
        return await next()

    return guard


def _json(status: int, payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=status, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


async def answer_error(error: Exception, body: dict[str, Any], request: AsyncBoltRequest,
                       respond: AsyncRespond, client: AsyncWebClient) -> BoltResponse:
    """The one place where exceptions become what the user sees, in their language."""
    runtime = request.context.get("runtime")
    locale = request.context.get("locale")
    if locale is None and runtime is not None:
        locale = await runtime.locales.of(user_of(body))
    if locale is None:
        return await _answer_error(error, body, request, respond, client)
    with locale.speaking():
        return await _answer_error(error, body, request, respond, client)


async def _answer_error(error: Exception, body: dict[str, Any], request: AsyncBoltRequest,
                        respond: AsyncRespond, client: AsyncWebClient) -> BoltResponse:
    kind = body.get("type") or ("slash_command" if "command" in body else "")
    if isinstance(error, BoltUnhandledRequestError):
        note_unhandled()
        claimed = unclaimed(body, kind)
        if claimed is None:
            return BoltResponse(status=200, body="")
        error = claimed
    reference = note_error(error)  # the correlation id every log line of it carries
    if isinstance(error, FormErrors) and kind == "view_submission":
        return _json(200, {"response_action": "errors", "errors": error.errors})
    if isinstance(error, DomainError):
        message = error.message
    elif trigger_refused(error):
        log.warning("Slack refused a modal [ref %s]: %s", reference,
                    error.response.get("error"))
        message = _("Slack could not open the form in time. Please click or send the command "
                    "again.")
    else:
        log.error("listener failed [ref %s] on %s", reference, kind or "request", exc_info=error)
        message = _(
            "Sorry, something went wrong on our side (reference `{ref}`). Please try again; "
            "if it keeps failing, give the reference to the bot's operators.",
            ref=reference,
        )

    acked = request.context.ack.response
    if acked is not None:
        # The listener already answered Slack; tell the user separately.
        await _tell(body, message, respond, client)
        return acked
    if kind == "slash_command":
        return _json(200, {"response_type": "ephemeral", "text": message})
    if kind == "view_submission":
        view = notice_view(_("Not done"), message).to_dict()
        return _json(200, {"response_action": "update", "view": view})
    if kind == "block_suggestion":
        return _json(200, {"options": []})
    await _tell(body, message, respond, client)
    return BoltResponse(status=200, body="")


def trigger_refused(error: Exception) -> TypeGuard[SlackApiError]:
    return (isinstance(error, SlackApiError)
            and error.response.get("error") in TRIGGER_ERRORS)


KNOWN_ACTIONS = action_ids()


def unclaimed(body: dict[str, Any], kind: str) -> DomainError | None:
    """What no listener claimed: a click on a button the bot no longer has, a modal submitted
    after an upgrade renamed it, a suggestion for a select that is gone, are out of date; a
    known action nobody needs (a select in a modal that is not redrawn), an event the bot
    does not follow, only acknowledged."""
    if kind == "block_actions":
        action_id = (body.get("actions") or [{}])[0].get("action_id")
        if action_id in KNOWN_ACTIONS:
            return None
        log.info("a click on an unknown action %r: it is out of date", str(action_id)[:60])
        return OutOfDate()
    if kind in ("view_submission", "block_suggestion"):
        log.info("an unclaimed %s: it is out of date", kind)
        return OutOfDate()
    if kind == "slash_command":
        return DomainError(_("csp-bot answers `/csp` only: try `/csp help`."))
    return None


async def _tell(body: dict[str, Any], message: str, respond: AsyncRespond,
                client: AsyncWebClient) -> None:
    """An ephemeral note in the conversation, or a DM where there is none (modals, Home)."""
    try:
        if body.get("response_url"):
            await respond(text=message, response_type="ephemeral", replace_original=False)
            return
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if user and channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=message)
        elif user:
            await client.chat_postMessage(channel=user, text=message)
    except Exception:
        log.exception("could not tell the user about an error")
