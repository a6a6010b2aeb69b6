"""What a person is asked to confirm, said once and shown everywhere.

A flow describes its change as a `Confirmation` (rows "Seats: 12 → 13", the policy's notes,
deadlines, who must approve). `prepare()` stores it with the draft, so the confirmation view,
the status card and the approval card all say the same thing, in the same words.

How a flow uses it, from its form's submission listener (the title and the labels are the
flow's own texts, already translated):

    draft, view = await prepare(runtime.db, DraftSpec(...), Confirmation.of(
        title, {seats_label: "12 → 13"}, decision=decision),
        now=runtime.clock.now())
    await ack(response_action="push", view=view)

The pushed view's close button reads "Back": Slack then shows the form again with its values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.models.views import View

from bot.core.domain import Draft, Request
from bot.core.i18n import _
from bot.pipeline.transitions import DraftSpec, create_draft
from bot.policy import Decision
from store.db import Database

#: Where the confirmation is kept in `requests.payload`.
PAYLOAD_KEY = "confirmation"
TITLE_LIMIT = 24


@dataclass(frozen=True)
class Row:
    """One line of the summary: a label and its value (mrkdwn; escape user text)."""

    label: str
    value: str


@dataclass(frozen=True)
class Deadline:
    """A date that matters to the decision, shown as a Slack date token."""

    label: str
    when: datetime


@dataclass(frozen=True)
class Confirmation:
    """The words of a change, as the requester confirms it and as approvers see it."""

    title: str
    rows: tuple[Row, ...] = ()
    notes: tuple[str, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    #: Who must approve, in words; None when the request is sent as soon as it is confirmed.
    approvers: str | None = None
    intro: str | None = None
    #: What happens after Confirm, said while something will still happen (cards drop it once
    #: the request has its outcome).
    next_step: str | None = None

    def __post_init__(self) -> None:
        if not self.title or len(self.title) > TITLE_LIMIT:
            raise ValueError(f"a confirmation title has 1 to {TITLE_LIMIT} characters")
        rows = tuple(r if isinstance(r, Row) else Row(*r) for r in self.rows)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "deadlines", tuple(self.deadlines))

    @classmethod
    def of(
        cls,
        title: str,
        rows: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        decision: Decision | None = None,
        notes: Iterable[str] = (),
        deadlines: Iterable[Deadline] = (),
        approvers: str | None = None,
        intro: str | None = None,
        next_step: str | None = None,
    ) -> Confirmation:
        """Builds a confirmation, taking the notes, deadline and approval of a policy Decision."""
        items = rows.items() if isinstance(rows, Mapping) else rows
        all_notes = list(notes)
        all_deadlines = list(deadlines)
        if decision is not None:
            all_notes = [*decision.notes, *all_notes]
            if decision.deadline is not None:
                all_deadlines.insert(0, Deadline(_("Deadline"), decision.deadline))
            if decision.needs_approval and approvers is None:
                approvers = _("A support agent must approve this request before it is sent.")
        return cls(
            title=title,
            rows=tuple(Row(label, value) for label, value in items),
            notes=tuple(all_notes),
            deadlines=tuple(all_deadlines),
            approvers=approvers,
            intro=intro,
            next_step=next_step,
        )

    def to_payload(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "rows": [[r.label, r.value] for r in self.rows],
            "notes": list(self.notes),
            "deadlines": [[d.label, d.when.isoformat()] for d in self.deadlines],
            "approvers": self.approvers,
            "intro": self.intro,
            "next": self.next_step,
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any] | None) -> Confirmation | None:
        """The confirmation stored with a request, or None when it has none (or a bad one)."""
        if not data:
            return None
        try:
            return cls(
                title=data["title"],
                rows=tuple(Row(label, value) for label, value in data.get("rows", [])),
                notes=tuple(data.get("notes", [])),
                deadlines=tuple(
                    Deadline(label, datetime.fromisoformat(when))
                    for label, when in data.get("deadlines", [])
                ),
                approvers=data.get("approvers"),
                intro=data.get("intro"),
                next_step=data.get("next"),
            )
        except (KeyError, TypeError, ValueError):
            return None


def confirmation_of(request: Request) -> Confirmation | None:
    return Confirmation.from_payload(request.payload.get(PAYLOAD_KEY))


async def prepare(
    db: Database, spec: DraftSpec, content: Confirmation, *, now: datetime | None = None
) -> tuple[Draft, View]:
    """Stores the draft with its confirmation and builds the view to push.

    Nothing is sent to anyone until the requester presses Confirm on that view.
    """
    from bot.pipeline.confirm_view import confirm_view

    payload = {**spec.payload, PAYLOAD_KEY: content.to_payload()}
    draft = await create_draft(db, replace(spec, payload=payload), now=now)
    return draft, confirm_view(draft, content)
