"""`private_metadata`: one base model, one subclass per modal.

Slack hands a modal's metadata back untouched on every action and submission, but anyone who
can submit the view can also put anything in it, and a modal opened before an upgrade carries
an older shape. So a dump is compact JSON (defaults left out, short keys where a model asks),
and a load never fails: what cannot be read falls back to its default, one field at a time,
and the flow says what is missing next to the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_serializer,
    model_validator,
)

from bot.core.numbers import id_of
from bot.slack.ids import parse_request_id


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_or_zero(value: object) -> int:
    return id_of(value) or 0


#: A non-empty string, or None when the metadata held anything else.
Text = Annotated[str | None, BeforeValidator(_text_or_none)]
#: An id (a whole number within bounds), or None when the metadata held anything else.
Id = Annotated[int | None, BeforeValidator(id_of)]
#: A counter that starts at 0; anything unreadable reads as 0.
Counter = Annotated[int, BeforeValidator(_id_or_zero)]


class Metadata(BaseModel):
    """A modal's `private_metadata`. Subclasses declare fields (aliases for short keys)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def dump(self) -> str:
        """Compact JSON: defaults left out, aliases used, no spaces."""
        return self.model_dump_json(exclude_defaults=True, by_alias=True)

    @classmethod
    def load(cls, text: object) -> Self:
        """The metadata `text` holds; defaults for what is missing or unreadable."""
        try:
            data: Any = json.loads(text) if isinstance(text, str) and text else {}
        except ValueError:
            data = {}
        for _attempt in range(3):
            try:
                return cls.model_validate(data)
            except ValidationError as exc:
                if not isinstance(data, dict):
                    break
                bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
                if not bad:
                    break
                data = {k: v for k, v in data.items() if k not in bad}
        return cls()

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> Self:
        """The metadata of a view from a payload."""
        return cls.load(view.get("private_metadata"))


class RequestRef(Metadata):
    """The modals about one request (its confirmation, the rejection reason, the refund steps):
    its id and nothing else, dumped bare (`42`), the form its buttons' values have too."""

    request_id: Id = None

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {"request_id": parse_request_id(data)}

    @model_serializer
    def _as_id(self) -> int | None:
        return self.request_id


class DraftRef(Metadata):
    """The pushed confirmation of a draft: the draft's id and nothing else, dumped bare (`42`).
    A draft has no request number until it is confirmed."""

    draft_id: Id = None

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {"draft_id": id_of(data.strip() if isinstance(data, str) else data)}

    @model_serializer
    def _as_id(self) -> int | None:
        return self.draft_id


class ChannelRef(Metadata):
    """A modal that only remembers where it was opened, for the status card (the refund
    ticket's form)."""

    channel: Text = Field(default=None, alias="c")
