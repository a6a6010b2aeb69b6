"""What a person does with a request the worker could not finish: retry it, or say what the
OVHcloud control panel shows for a step whose outcome is unknown.

Buttons call these; each checks the role and the state again on the server, moves the request
with `pipeline.transition`, and never touches a step that is done, so nothing that succeeded is
ever sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING

from bot.cache.sync import refresh_tenant
from bot.core.domain import Request, RequestState, RequestStep, Role, StepState
from bot.core.errors import AlreadyHandled, NotAllowed
from bot.core.i18n import _
from bot.pipeline import execution
from bot.pipeline.transitions import load, load_steps, move_step, transition
from bot.policy import Decision
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

S = RequestState
RETRYABLE_STATES = frozenset({S.FAILED, S.NEEDS_ATTENTION})


def may_retry(request: Request, user_id: str, roles: Collection[Role]) -> Decision:
    """The requester or a support agent may retry a failed request (or one needing attention)."""
    if request.requester != user_id and not {Role.SUPPORT, Role.ADMIN} & set(roles):
        return Decision.refuse(_("Only the requester or a support agent can retry a request."))
    if request.state not in RETRYABLE_STATES:
        return Decision.refuse(
            _(
                "Request {ref} cannot be retried: it is {state}.",
                ref=request.ref,
                state=request.state.value.replace("_", " "),
            ),
            handled=True,
        )
    return Decision.allow()


def may_resolve(request: Request, roles: Collection[Role]) -> Decision:
    """Saying what the control panel shows is vouching for it: support agents only."""
    if not {Role.SUPPORT, Role.ADMIN} & set(roles):
        return Decision.refuse(_("Only support agents can settle a request that needs attention."))
    if request.state is not S.NEEDS_ATTENTION:
        return Decision.refuse(
            _("Request {ref} does not need attention any more.", ref=request.ref), handled=True
        )
    return Decision.allow()


async def retry(runtime: Runtime, request_id: int, actor: str, note: str = "") -> Request:
    """failed | needs_attention → queued: failed and unknown steps go back to `pending` (sent
    again by the worker); done steps stay done and running ones keep being followed."""
    request = await load(runtime.db, request_id)
    decision = may_retry(request, actor, await runtime.roles.of(actor))
    if not decision.allowed:
        raise (AlreadyHandled if decision.handled else NotAllowed)(decision.reason)
    async with runtime.db.transaction() as session:
        moved = await transition(
            session, request_id, RETRYABLE_STATES, S.QUEUED, actor, note or _("retried"),
            values={"attempts": 0, "next_attempt_at": None, "error": None,
                    "error_query_id": None, "lease_owner": None, "lease_until": None},
        )  # fmt: skip
        if moved is not None:
            for step in await repo.get_steps(session, request_id):
                if step.state in (StepState.FAILED, StepState.UNKNOWN):
                    await move_step(session, step.id, {StepState(step.state)},
                                    StepState.PENDING, {"error": None})  # fmt: skip
    if moved is None:
        raise AlreadyHandled(_("Request {ref} was already retried.", ref=request.ref))
    _wake_worker(runtime)
    return moved


async def resolve(
    runtime: Runtime, request_id: int, actor: str, *, created: bool, note: str = ""
) -> Request:
    """A support agent checked the control panel: the steps whose outcome was unknown did
    (`created=True`) or did not happen. The request ends done, or failed line by line."""
    request = await load(runtime.db, request_id)
    decision = may_resolve(request, await runtime.roles.of(actor))
    if not decision.allowed:
        raise (AlreadyHandled if decision.handled else NotAllowed)(decision.reason)
    steps = await load_steps(runtime.db, request_id)
    word = (
        _("confirmed in the control panel by <@{user}>", user=actor)
        if created
        else _("not found in the control panel by <@{user}>", user=actor)
    )
    settled = [_settled(s, created, word) for s in steps]
    state, error, query_id = execution.outcome_of(settled, request)
    async with runtime.db.transaction() as session:
        moved = await transition(
            session, request_id, {S.NEEDS_ATTENTION}, state, actor, note or word,
            values={"error": error, "error_query_id": query_id},
            data={"created": created},
        )  # fmt: skip
        if moved is not None:
            for before, after in zip(steps, settled, strict=True):
                if before.state is StepState.UNKNOWN:
                    await move_step(session, before.id, {StepState.UNKNOWN}, after.state,
                                    {"error": after.error})  # fmt: skip
    if moved is None:
        raise AlreadyHandled(_("Request {ref} was already settled.", ref=request.ref))
    await _refresh(runtime, request)
    return moved


def _settled(step: RequestStep, created: bool, word: str) -> RequestStep:
    if step.state is not StepState.UNKNOWN:
        return step
    if created:
        return step.model_copy(update={"state": StepState.DONE, "error": None})
    return step.model_copy(update={"state": StepState.FAILED, "error": word})


async def _refresh(runtime: Runtime, request: Request) -> None:
    if not request.tenant:
        return
    try:
        await refresh_tenant(runtime, request.tenant)
    except Exception:
        log.warning("could not refresh the cache of %s", request.tenant, exc_info=True)


def _wake_worker(runtime: Runtime) -> None:
    worker = getattr(runtime, "worker", None)
    if worker is not None:
        worker.wake()
