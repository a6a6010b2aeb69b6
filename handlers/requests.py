"""The request pipeline as people touch it: Confirm, Approve / Reject / Withdraw on the cards,
Retry and "did it happen?" on a stuck request, and `/csp requests`.

Each listener parses ids, calls `bot/` (which checks roles and state again), and answers. Slow
Slack work (status cards, DMs) runs after the answer, in the notifier's background tasks.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.i18n import _
from bot.core.ids import PipelineAction, PipelineBlock, PipelineCallback
from bot.home.app_home import add_home_section
from bot.pipeline import approvals, request_lists
from bot.pipeline import transitions as pipeline
from bot.pipeline.requests_view import listing_title, reject_view, request_list_blocks
from bot.slack.access import anyone
from bot.slack.ids import draft_id_of, request_id_of
from bot.slack.payload import Payload, trigger_of, typed_in
from handlers.router import CommandCall, Router, Subcommand

WAITING = "/csp requests waiting"
#: Approve, reject, withdraw, retry, resolve: who may depends on the request (its approvers,
#: its requester), so `bot.pipeline.approvals` and `bot.pipeline.actions` decide.
DECIDING = anyone("the use case decides from the request and the person's roles")


def register(app: AsyncApp, router: Router) -> None:
    confirming = anyone("`pipeline.confirm` checks the drafter role of the request's kind")
    app.view(PipelineCallback.CONFIRM, middleware=[confirming.gate])(submit_confirmation)
    deciding = [DECIDING.gate]
    app.action(PipelineAction.APPROVE, middleware=deciding)(click_approve)
    app.action(PipelineAction.REJECT, middleware=deciding)(click_reject)
    app.view(PipelineCallback.REJECT, middleware=deciding)(submit_rejection)
    app.action(PipelineAction.WITHDRAW, middleware=deciding)(click_withdraw)
    app.action(PipelineAction.RETRY, middleware=deciding)(click_retry)
    app.action(PipelineAction.RESOLVE_HAPPENED, middleware=deciding)(click_resolve)
    app.action(PipelineAction.RESOLVE_DID_NOT_HAPPEN, middleware=deciding)(click_resolve)
    router.add(
        Subcommand(
            "requests",
            _("Your requests (`mine`), those waiting for your decision (`waiting`), or the "
              "latest of everyone (`recent`)."),
            "/csp requests waiting",
            show_requests,
            access=anyone("each person sees their own requests and those they may decide"),
        )
    )
    add_home_section("requests_mine", request_lists.your_requests_section, order=10)
    add_home_section("requests_waiting", request_lists.waiting_section, order=20)


async def submit_confirmation(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    """Confirm: the draft becomes a request before the modal closes (durable, then ack)."""
    actor = user_id
    request = await pipeline.confirm(
        runtime.db, draft_id_of(view.get("private_metadata")), actor, runtime.roles
    )
    await ack(response_action="clear")
    if not request.needs_approval:
        approvals.wake_worker(runtime)


async def click_approve(ack: AsyncAck, action: Payload, runtime: Runtime, user_id: str) -> None:
    await ack()
    request_id = request_id_of(action.get("value"))
    await approvals.approve(runtime, request_id, user_id)


async def click_reject(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    client: AsyncWebClient,
    runtime: Runtime,
    user_id: str,
) -> None:
    """Asks why in a modal, after checking that this person may decide at all."""
    await ack()
    request = await approvals.check_decider(
        runtime, request_id_of(action.get("value")), user_id
    )
    await client.views_open(trigger_id=trigger_of(body, WAITING), view=reject_view(request))


async def submit_rejection(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    typed = typed_in(view, PipelineBlock.REJECT_REASON, PipelineAction.REJECT_REASON, WAITING)
    reason = typed.get("value")
    await approvals.reject(
        runtime, request_id_of(view.get("private_metadata")), user_id,
        reason or "",
    )
    await ack()


async def click_withdraw(ack: AsyncAck, action: Payload, runtime: Runtime, user_id: str) -> None:
    await ack()
    request_id = request_id_of(action.get("value"))
    await approvals.withdraw(runtime, request_id, user_id)


async def click_retry(ack: AsyncAck, action: Payload, runtime: Runtime, user_id: str) -> None:
    from bot.pipeline import actions as pipeline_actions  # the worker's side of the pipeline

    await ack()
    await pipeline_actions.retry(
        runtime, request_id_of(action.get("value")), user_id
    )


async def click_resolve(ack: AsyncAck, action: Payload, runtime: Runtime, user_id: str) -> None:
    from bot.pipeline import actions as pipeline_actions

    await ack()
    await pipeline_actions.resolve(
        runtime,
        request_id_of(action.get("value")),
        user_id,
        created=action["action_id"] == PipelineAction.RESOLVE_HAPPENED,
    )


async def show_requests(call: CommandCall) -> None:
    which = request_lists.parse_listing(call.args)
    requests = await request_lists.listing(call.runtime, call.user_id, which)
    title, empty = listing_title(which.value)
    blocks = request_list_blocks(
        title, requests, empty,
        footer=_("Also: `/csp requests mine`, `/csp requests waiting`, `/csp requests recent`."),
    )
    await call.ack(
        text=title, blocks=[b.to_dict() for b in blocks], response_type="ephemeral"
    )
