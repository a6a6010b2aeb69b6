"""What a rule answers: allowed or not, in its own words, with the notes, deadline and approval
that the form, the confirmation and the approval card all repeat."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime


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
