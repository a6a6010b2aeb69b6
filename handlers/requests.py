"""The request pipeline as people touch it: Confirm, Approve / Reject / Withdraw on the cards,
Retry and "did it happen?" on a stuck request, and `/csp requests`.

Each listener parses ids, calls `bot/` (which checks roles and state again), and answers. Slow
Slack work (status cards, DMs) runs after the answer, in the notifier's background tasks.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import approvals, pipeline, request_lists
from bot.domain import RequestState
from bot.errors import DomainError
from bot.home import add_home_section
from bot.i18n import _
from bot.ids import PipelineAction, PipelineBlock, PipelineCallback
from bot.numbers import id_of
from bot.views.requests import listing_title, reject_view, request_list_blocks
from handlers.payload import trigger_of, typed_in
from handlers.router import CommandCall, Router, Subcommand

WAITING = "/csp requests waiting"


def register(app: AsyncApp, router: Router) -> None:
    app.view(PipelineCallback.CONFIRM)(submit_confirmation)
    app.action(PipelineAction.APPROVE)(click_approve)
    app.action(PipelineAction.REJECT)(click_reject)
    app.view(PipelineCallback.REJECT)(submit_rejection)
    app.action(PipelineAction.WITHDRAW)(click_withdraw)
    app.action(PipelineAction.RETRY)(click_retry)
    app.action(PipelineAction.RESOLVE_HAPPENED)(click_resolve)
    app.action(PipelineAction.RESOLVE_DID_NOT_HAPPEN)(click_resolve)
    router.add(
        Subcommand(
            "requests",
            _("Your requests (`mine`), those waiting for your decision (`waiting`), or the "
              "latest of everyone (`recent`)."),
            "/csp requests waiting",
            show_requests,
        )
    )
    add_home_section("requests_mine", request_lists.your_requests_section, order=10)
    add_home_section("requests_waiting", request_lists.waiting_section, order=20)


def request_id_of(text: str | None) -> int:
    """Button values and private_metadata carry a request id and nothing else."""
    request_id = id_of((text or "").strip().removeprefix("R"))
    if request_id is None:
        raise DomainError(_("That button no longer points at a request."))
    return request_id


def draft_id_of(text: str | None) -> int:
    """A confirmation's private_metadata carries its draft's id and nothing else."""
    draft_id = id_of((text or "").strip())
    if draft_id is None:
        raise DomainError(_("That confirmation no longer points at a request."))
    return draft_id


async def submit_confirmation(ack, body, view, context) -> None:
    """Confirm: the draft becomes a request before the modal closes (durable, then ack)."""
    runtime = context["runtime"]
    actor = body["user"]["id"]
    request = await pipeline.confirm(
        runtime.db, draft_id_of(view.get("private_metadata")), actor, runtime.roles
    )
    await ack(response_action="clear")
    if not request.needs_approval:
        approvals.wake_worker(runtime)
    runtime.notifier.request_changed_soon(request, actor=actor, before=RequestState.DRAFT)


async def click_approve(ack, body, action, context) -> None:
    await ack()
    request_id = request_id_of(action.get("value"))
    await approvals.approve(context["runtime"], request_id, body["user"]["id"])


async def click_reject(ack, body, action, context, client) -> None:
    """Asks why in a modal, after checking that this person may decide at all."""
    await ack()
    runtime = context["runtime"]
    request = await approvals.check_decider(
        runtime, request_id_of(action.get("value")), body["user"]["id"]
    )
    await client.views_open(trigger_id=trigger_of(body, WAITING), view=reject_view(request))


async def submit_rejection(ack, body, view, context) -> None:
    typed = typed_in(view, PipelineBlock.REJECT_REASON, PipelineAction.REJECT_REASON, WAITING)
    reason = typed.get("value")
    await approvals.reject(
        context["runtime"], request_id_of(view.get("private_metadata")), body["user"]["id"],
        reason or "",
    )
    await ack()


async def click_withdraw(ack, body, action, context) -> None:
    await ack()
    request_id = request_id_of(action.get("value"))
    await approvals.withdraw(context["runtime"], request_id, body["user"]["id"])


async def click_retry(ack, body, action, context) -> None:
    from bot import pipeline_actions  # the worker's side of the pipeline

    await ack()
    await pipeline_actions.retry(
        context["runtime"], request_id_of(action.get("value")), body["user"]["id"]
    )


async def click_resolve(ack, body, action, context) -> None:
    from bot import pipeline_actions

    await ack()
    await pipeline_actions.resolve(
        context["runtime"],
        request_id_of(action.get("value")),
        body["user"]["id"],
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
