"""The registry of request kinds: what the generic pipeline needs to know about one kind of
request, said once, by the flow that owns the kind.

The pipeline's table of moves, the notifier, the cards, the requester's news, the approvals and
their reminders look a kind up here (`spec_of`) and import no flow. A `KindSpec` holds:
- `title`, the kind in a word or two ("Seat change"), and `payload`, the pydantic model of its
  `requests.payload` (a `KindPayload`: typed fields instead of string keys); `provider`, who its
  steps go to (OVHcloud, or Partner Center for software);
- `moves`, its allowed moves (`CHANGE_MOVES` unless it has its own table), `approved_to`, the
  state Approve moves it to, and `approval_sentence`, what Approve does, as the button's
  confirmation says it;
- its parts of the cards, drawn from the request "as of now": `facts` (extra label/value
  fields), `status_blocks` and `approval_blocks` (what it adds to each card), `created_blocks`
  (what a done request made, named on its card), `state_line` and
  `state_short` (a state only it can be in, e.g. waiting for payment), and `as_of_now` (figures
  worked out again whenever a card or a reminder is drawn, e.g. a refund estimate);
- `news`, the words of the requester's DM for the states only it has;
- `expires`, whether its deadline expires a request waiting for a decision, and
  `may_decide`, its own check on a decider (on top of `bot.policy.may_decide`).
Every part has a default that suits a request changing licenses, so a spec names only what
differs.

Adding a kind: a member of `bot.core.domain.RequestKind`, then, in the flow module that drafts it,
its payload model and one `register(KindSpec(kind=..., title=..., payload=...))`. The registry
imports the modules named in `FLOWS` the first time a kind is looked up, so a flow in a new
module is also named there; `tests/pipeline/test_kinds.py` fails for a kind without a spec.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import Block

from bot.core.domain import Request, RequestKind, RequestState, RequestStep, Role
from bot.core.i18n import _

if TYPE_CHECKING:
    from bot.policy.decision import Decision

S = RequestState

#: The modules that register a kind (imported on the first look-up, never by the generic
#: modules themselves).
FLOWS = (
    "bot.orders.plans",
    "bot.seats.changes",
    "bot.cancellation.cancel",
    "bot.refunds.tickets",
    "bot.tenants.edit",
    "bot.software.buy",
    "bot.software.cancel",
)

Moves = Mapping[RequestState, frozenset[RequestState]]

#: Requests that change licenses: orders, seat changes, cancellations, tenant edits.
CHANGE_MOVES: Moves = {
    S.DRAFT: frozenset({S.QUEUED, S.AWAITING_APPROVAL, S.SCHEDULED}),
    S.AWAITING_APPROVAL: frozenset({S.QUEUED, S.SCHEDULED, S.REJECTED, S.WITHDRAWN, S.EXPIRED}),
    # for the renewal: taken by the worker at `run_at`, or withdrawn by the requester before
    # (expired: its window closed before the worker could send it, e.g. the bot was down)
    S.SCHEDULED: frozenset({S.RUNNING, S.WITHDRAWN, S.EXPIRED}),
    S.QUEUED: frozenset({S.RUNNING, S.FAILED, S.NEEDS_ATTENTION}),
    S.RUNNING: frozenset({S.DONE, S.FAILED, S.NEEDS_ATTENTION, S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED}),  # retried by a person
    S.NEEDS_ATTENTION: frozenset({S.QUEUED, S.DONE, S.FAILED}),  # a person decides
}


class KindPayload(BaseModel):
    """The typed `requests.payload` of one kind. Keys it does not name are kept as they are
    (the confirmation every draft stores, what older rows carry), so a payload read and written
    back loses nothing."""

    model_config = ConfigDict(extra="allow")

    @classmethod
    def of(cls, request: Request) -> Self:
        return cls.model_validate(request.payload or {})

    def dump(self) -> dict[str, Any]:
        """What is stored in `requests.payload`."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class NowFigures:
    """Figures worked out again as a card or a reminder is drawn: `rows` replace the value of
    the confirmation rows with those labels, `reminder` is a line the reminders add."""

    rows: Mapping[str, str] = field(default_factory=dict)
    reminder: str | None = None


def _no_blocks(*_args: Any) -> list[Block]:
    return []


def _nothing(*_args: Any) -> None:
    return None


def _no_facts(_request: Request) -> list[tuple[str, str]]:
    return []


def _sent_at_once() -> str:
    return _("The change is sent to OVHcloud right away. This cannot be undone.")


def _always(_request: Request) -> bool:
    return True


@dataclass(frozen=True)
class KindSpec:
    kind: RequestKind
    title: Callable[[], str]
    payload: type[KindPayload]
    #: who its steps are sent to, as cards and errors name it
    provider: str = "OVHcloud"
    moves: Moves = field(default_factory=lambda: CHANGE_MOVES)
    approved_to: RequestState = S.QUEUED
    approval_sentence: Callable[[], str] = _sent_at_once
    facts: Callable[[Request], list[tuple[str, str]]] = _no_facts
    status_blocks: Callable[[Request, Sequence[RequestStep]], list[Block]] = _no_blocks
    approval_blocks: Callable[[Request], list[Block]] = _no_blocks
    #: what a done request made (new ids, a new group), with the ways into it; drawn last
    created_blocks: Callable[[Request, Sequence[RequestStep]], list[Block]] = _no_blocks
    state_line: Callable[[Request, Sequence[RequestStep]], str | None] = _nothing
    state_short: Callable[[Request, Sequence[RequestStep]], str | None] = _nothing
    #: (request, now, settings) → figures; may raise (the notifier logs it and goes on).
    as_of_now: Callable[[Request, datetime, Any], NowFigures | None] = _nothing
    #: (request, its name in the DM, who decided) → the DM's text for a state only this kind
    #: has; None: the pipeline's words.
    news: Callable[[Request, str, str], str | None] = _nothing
    expires: Callable[[Request], bool] = _always
    may_decide: Callable[[Request, str, Collection[Role]], Decision | None] = _nothing


_SPECS: dict[RequestKind, KindSpec] = {}
_loaded = False


def register(spec: KindSpec) -> KindSpec:
    """Called once by the flow that owns `spec.kind`, when its module is imported."""
    known = _SPECS.get(spec.kind)
    if known is not None and known is not spec:
        raise ValueError(f"request kind {spec.kind} is registered twice")
    _SPECS[spec.kind] = spec
    return spec


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in FLOWS:
            importlib.import_module(module)
        _loaded = True


def spec_of(kind: RequestKind | str) -> KindSpec:
    kind = RequestKind(kind)
    if kind not in _SPECS:
        _load()
    try:
        return _SPECS[kind]
    except KeyError:
        raise LookupError(f"no flow registers the request kind {kind}") from None


def all_specs() -> list[KindSpec]:
    """Every registered kind, in `RequestKind` order."""
    _load()
    return [_SPECS[k] for k in RequestKind if k in _SPECS]
