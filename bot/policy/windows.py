"""Microsoft's windows across renewals: the one rule behind "can still be undone until …".

Microsoft lets a change be undone for a refund only within a window (docs/policies.md): a
subscription is cancelled within `CSP_CANCELLATION_WINDOW_HOURS` of the start of a term
(purchase or renewal); seats are removed within `CSP_SEAT_REDUCTION_WINDOW_HOURS` of when those
seats were added, each batch on its own; later reductions wait for the renewal. A renewal buys
every seat again for a new term, so the first days of a term reopen the window for every seat,
whenever its batch was bought.

The rule, for both: something bought at `bought` may be undone at `at` while
`at < max(bought, start of the current term) + window`. A cancellation's `bought` is the term's
start itself; a seat's is its batch's `added_at`, and seats no batch records (added before the
cache knew the subscription, or by hand) count as bought at the term's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.policy.decision import Decision
from bot.policy.terms import Term


class SeatBatchLike(Protocol):
    """Seats added at one time (store.cache.SeatBatch); each has its own reduction window."""

    @property
    def seats(self) -> int: ...

    @property
    def added_at(self) -> datetime: ...


def window_closes(bought: datetime, term_start: datetime | None, window: timedelta) -> datetime:
    """When the window of something bought at `bought` closes, in the term that started at
    `term_start` (None: no term known, the purchase alone counts)."""
    return max(bought, term_start) + window if term_start is not None else bought + window


def removable_seats(quantity: int, batches: Sequence[SeatBatchLike], at: datetime,
                    window: timedelta, term_start: datetime | None = None) -> int:
    """Seats that may be removed at `at`, in the term that started at `term_start`.

    A batch whose seats were partly removed since may cover fewer seats than it says, so the
    count never exceeds what the subscription holds beyond its out-of-window seats. Seats no
    batch records count as bought at the term's start (outside any window without a term)."""
    inside = outside = 0
    for batch in batches:
        if window_closes(batch.added_at, term_start, window) > at:
            inside += batch.seats
        else:
            outside += batch.seats
    unrecorded = max(quantity - inside - outside, 0)
    if term_start is not None and term_start + window > at:
        inside += unrecorded
    return max(0, min(inside, quantity - outside))


def reduction_deadline(quantity: int, batches: Sequence[SeatBatchLike], seats: int,
                       now: datetime, window: timedelta,
                       term_start: datetime | None = None) -> datetime | None:
    """When removing `seats` stops being possible: the first window closing after which fewer
    than `seats` remain removable. None when they cannot be removed now."""
    if removable_seats(quantity, batches, now, window, term_start) < seats:
        return None
    closings = {window_closes(b.added_at, term_start, window) for b in batches}
    if term_start is not None:
        closings.add(term_start + window)
    for closing in sorted(c for c in closings if c > now):
        if removable_seats(quantity, batches, closing, window, term_start) < seats:
            return closing
    return None  # pragma: no cover - the last window closing leaves nothing removable


def cancellation_closes(term_start: datetime, window: timedelta) -> datetime:
    """When the cancellation window of the term that started at `term_start` closes."""
    return window_closes(term_start, term_start, window)


@dataclass(frozen=True)
class Reopening:
    """The next window: it opens with the next term and closes `window` later."""

    opens: datetime
    closes: datetime


def next_window(term: Term | None, window: timedelta) -> Reopening | None:
    """The window the next term opens; None when the subscription does not renew, or nobody
    knows when it does."""
    opens = term.next_start if term is not None else None
    return Reopening(opens, opens + window) if opens is not None else None


def reopening(decision: Decision) -> Reopening | None:
    """For a refused decrease or cancellation: the next window, when the window being closed
    is the only reason it is refused; None when it is allowed, refused for anything else, or
    its subscription does not renew.

    Only the rules' window refusals set `reopens` (`seat_change`, `cancellation`), and they
    are reached only once every other check has passed."""
    return None if decision.allowed else decision.reopens
