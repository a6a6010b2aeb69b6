"""The audit trail as people read it: `/csp audit R42`, and the CSV an auditor takes away.

Events are append-only (written by `pipeline.transition`, drafts, role changes, claims); this
module only reads them. Support agents and admins read any trail; a requester reads their own.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict

from bot.core.domain import Role
from bot.core.errors import DomainError, NotAllowed, NotFoundError
from bot.core.i18n import _
from bot.core.numbers import id_of
from store import requests as repo
from store.db import Database

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

PAGE_SIZE = 20
Kind = Literal["request", "subscription"]
REQUEST_REF = re.compile(r"^#?r(\d+)$", re.IGNORECASE)
CSV_COLUMNS = (
    "id", "created_at", "request_id", "tenant", "subscription_id", "actor", "action",
    "before_state", "after_state", "note", "provider_task_id", "provider_query_id", "data",
)


class AuditEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int | None = None
    tenant: str | None = None
    subscription_id: int | None = None
    actor: str
    action: str
    before_state: str | None = None
    after_state: str | None = None
    note: str | None = None
    data: dict[str, Any] | None = None
    provider_task_id: int | None = None
    provider_query_id: str | None = None
    created_at: datetime


@dataclass(frozen=True)
class Subject:
    """Whose trail: a request or a subscription. `kind` None: a bare number, decided later."""

    kind: Kind | None
    id: int

    def encode(self, page: int) -> str:
        return f"{self.kind}:{self.id}:{page}"

    @classmethod
    def decode(cls, value: str) -> tuple[Subject, int]:
        kind, number, page = value.split(":")
        subject_id, page_number = id_of(number), id_of(page)
        if kind not in ("request", "subscription") or subject_id is None or page_number is None:
            raise ValueError(value)
        return cls(kind, subject_id), page_number  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        if self.kind == "subscription":
            return _("subscription {id}", id=self.id)
        return f"R{self.id}"


@dataclass(frozen=True)
class AuditPage:
    subject: Subject
    events: list[AuditEvent]
    page: int
    pages: int
    total: int
    note: str | None = None  # e.g. how to reach the subscription of the same number


USAGE = _(
    "Say whose trail: `/csp audit R42` (a request) or `/csp audit sub 12345` (a subscription)."
)


def parse_subject(args: list[str]) -> Subject:
    """`R42`, `#R42`, `42`, `sub 12345`, `subscription 12345`."""
    words = [w.strip().lower() for w in args if w.strip()]
    number = id_of(words[-1]) if words else None
    if len(words) == 2 and words[0] in ("sub", "subscription") and number is not None:
        return Subject("subscription", number)
    if len(words) == 2 and words[0] in ("request", "req") and number is not None:
        return Subject("request", number)
    if len(words) == 1:
        match = REQUEST_REF.match(words[0])
        request_id = id_of(match.group(1)) if match else None
        if request_id is not None:
            return Subject("request", request_id)
        if number is not None:
            return Subject(None, number)
    raise DomainError(USAGE)


async def trail(
    runtime: Runtime, subject: Subject, viewer: str, page: int = 0, page_size: int = PAGE_SIZE
) -> AuditPage:
    """One page of a trail, oldest first; refuses politely what `viewer` may not read."""
    roles = await runtime.roles.of(viewer)
    is_agent = Role.SUPPORT in roles or Role.ADMIN in roles
    note = None
    async with runtime.db.session() as session:
        request = None
        if subject.kind in (None, "request"):
            request = await repo.get_request(session, subject.id)
        if subject.kind is None:
            if request is not None:
                note = _(
                    "This is request R{id}; for subscription {id}, use `/csp audit sub {id}`.",
                    id=subject.id,
                )
            subject = Subject("request" if request is not None else "subscription", subject.id)
        if subject.kind == "request":
            if request is None:
                raise NotFoundError(_("There is no request R{id}.", id=subject.id))
            if not is_agent and request.requester != viewer:
                raise NotAllowed(
                    _("Only support agents, admins and the requester can read this trail.")
                )
            filters = {"request_id": subject.id}
        else:
            if not is_agent:
                raise NotAllowed(_("Only support agents and admins can read a subscription's "
                                   "trail; `/csp audit R42` shows one of your requests."))
            filters = {"subscription_id": subject.id}
        total = await repo.count_audit_events(session, **filters)
        if total == 0:
            raise NotFoundError(_("Nothing is recorded for {what}.", what=subject.label))
        pages = max(1, math.ceil(total / page_size))
        page = min(max(page, 0), pages - 1)
        rows = await repo.audit_events_page(
            session, offset=page * page_size, limit=page_size, **filters
        )
    events = [AuditEvent.model_validate(r) for r in rows]
    return AuditPage(subject, events, page, pages, total, note)


async def export_csv(db: Database, since: datetime, out: TextIO) -> int:
    """Writes every audit event since `since` as CSV (UTC ISO times); returns how many."""
    async with db.session() as session:
        rows = await repo.audit_events(session, since=since, limit=None)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        event = AuditEvent.model_validate(row)
        values = event.model_dump()
        values["created_at"] = event.created_at.isoformat()
        values["data"] = json.dumps(event.data, sort_keys=True) if event.data else ""
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return len(rows)
