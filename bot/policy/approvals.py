"""Who may decide on a request, and who may take it back."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.core.domain import Request, RequestState, Role
from bot.core.i18n import _
from bot.pipeline.kinds import spec_of
from bot.policy.decision import Decision


def may_decide(request: Request, user_id: str, roles: Collection[Role], now: datetime) -> Decision:
    """Approve or reject: support agents only, never on their own request, before the deadline
    (unless its kind says the deadline does not bind it: `KindSpec.expires`)."""
    if Role.SUPPORT not in roles and Role.ADMIN not in roles:
        return Decision.refuse(_("Only support agents can approve or reject requests."))
    if request.requester == user_id:
        return Decision.refuse(
            _("You can't decide on your own request: another support agent has to.")
        )
    if request.state is not RequestState.AWAITING_APPROVAL:
        return Decision.refuse(
            _(
                "Request {ref} is no longer waiting for a decision (it is {state}).",
                ref=request.ref,
                state=request.state.value.replace("_", " "),
            )
        )
    if (
        request.deadline is not None
        and now >= request.deadline
        and spec_of(request.kind).expires(request)
    ):
        return Decision.refuse(
            _(
                "The deadline of request {ref} has passed: it can no longer be approved.",
                ref=request.ref,
            ),
            expired=True,
        )
    return Decision.allow()


def may_withdraw(request: Request, user_id: str) -> Decision:
    if request.requester != user_id:
        return Decision.refuse(_("Only the requester can withdraw a request."))
    if request.state not in (RequestState.AWAITING_APPROVAL, RequestState.SCHEDULED):
        return Decision.refuse(
            _("Request {ref} can only be withdrawn while it waits for approval or for the "
              "renewal it is scheduled for.", ref=request.ref)
        )
    return Decision.allow()
