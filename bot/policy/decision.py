"""What a rule answers: allowed or not, in its own words, with the notes, deadline and approval
that the form, the confirmation and the approval card all repeat.

What a rule adds for its caller is a named field, never a loose dict: the fields every rule may
set are on `Decision`; a rule that tells more answers with its own subclass (`SeatDecision`,
`CancellationDecision`, `RefundDecision`), and `allow`/`refuse` refuse a field they do not have.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from bot.policy.windows import Reopening


@dataclass(frozen=True, kw_only=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deadline: datetime | None = None
    needs_approval: bool = False
    field: str | None = None  # the form field a refusal is about
    #: Refused because it was already done (somebody else got there first).
    handled: bool = False
    #: Refused because the request's deadline passed.
    expired: bool = False
    #: A window refusal: the next window, when the closed one is the only reason.
    reopens: Reopening | None = None

    @classmethod
    def allow(
        cls,
        *,
        notes: Collection[str] = (),
        deadline: datetime | None = None,
        needs_approval: bool = False,
        **fields: Any,
    ) -> Self:
        return cls(allowed=True, notes=tuple(notes), deadline=deadline,
                   needs_approval=needs_approval, **fields)  # fmt: skip

    @classmethod
    def refuse(cls, reason: str, *, field: str | None = None, **fields: Any) -> Self:
        return cls(allowed=False, reasons=(reason,), field=field, **fields)

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


@dataclass(frozen=True, kw_only=True)
class SeatDecision(Decision):
    """A seat change: how many seats it adds or removes, and how long new ones stay removable."""

    added: int | None = None
    removed: int | None = None
    removable_until: datetime | None = None
    #: A refused decrease: how many seats could go now, and when the rest can.
    removable: int | None = None
    earliest: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CancellationDecision(Decision):
    """A cancellation: whether its window (and so a refund) is still open, and when it closes."""

    window_open: bool = False
    window_closes: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SoftwareCancelDecision(Decision):
    """A software cancellation: `refund` when the window closed and a refund ticket is left."""

    refund: bool = False


@dataclass(frozen=True, kw_only=True)
class RefundDecision(Decision):
    """A refund ticket: whether it is filed outside Microsoft's window, and that window."""

    outside_window: bool = False
    window_closes: datetime | None = None
    window_days: int | None = None
