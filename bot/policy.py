"""Pure rules: windows, limits, who may do what. No I/O, no clock reads (`now` is passed in).

A rule answers with a `Decision` that carries its own words, so the form, the confirmation and
the approval card all say the same thing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime

from bot.domain import Request, RequestState, Role
from bot.i18n import _


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deadline: datetime | None = None
    needs_approval: bool = False
    field: str | None = None  # the form field a refusal is about
    extra: dict = dataclass_field(default_factory=dict)

    @classmethod
    def allow(
        cls,
        *,
        notes: Collection[str] = (),
        deadline: datetime | None = None,
        needs_approval: bool = False,
        **extra,
    ) -> Decision:
        return cls(True, (), tuple(notes), deadline, needs_approval, None, extra)

    @classmethod
    def refuse(cls, reason: str, *, field: str | None = None, **extra) -> Decision:
        return cls(False, (reason,), (), None, False, field, extra)

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def may_decide(request: Request, user_id: str, roles: Collection[Role], now: datetime) -> Decision:
    """Approve or reject: support agents only, never on their own request, before the deadline."""
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
        and not request.payload.get("no_refund_acknowledged")
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
    if request.state is not RequestState.AWAITING_APPROVAL:
        return Decision.refuse(
            _("Request {ref} can only be withdrawn while it waits for approval.", ref=request.ref)
        )
    return Decision.allow()
