"""How Partner Center's JSON reads: camelCase, links with headers, collections, lenient enums.

The references are in `partner-center-software.md` (shared design docs), cited by letter:
D (Microsoft's Partner Center docs), L (live learn.microsoft.com), SDK (the archived .NET SDK),
PS (the PowerShell module), S (Microsoft's samples), NL (2021 Dutch docs), 3P (third party).

What comes in is read leniently: Microsoft publishes most enums only in examples, so a value we
do not know is kept as the string it was (never a validation error), missing fields are None,
unknown fields are kept (`extra="allow"`) so an object can be sent back whole, and dates without
a zone are UTC [D: "Times are UTC"]. What goes out is strict: `to_wire()` writes camelCase and
leaves out what is unset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeAlias, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class PcModel(BaseModel):
    """A Partner Center resource: camelCase on the wire [D: responses camelCase], snake_case here;
    unknown fields kept so a PATCH can send back the whole object it read."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=False
    )

    def to_wire(self, *, exclude_none: bool = True) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=exclude_none)


def _squash(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def lenient_enum(enum: type[E]) -> Any:
    """`E | str`: a known value becomes the enum member, matched without regard to case,
    spaces or underscores ("Pending Review", "pending_review", "PendingReview" — the docs spell
    review states with spaces and PO states with underscores [D order-resources,
    pending-po-upload]); an unknown value stays the string it was."""
    squashed = {_squash(member.value): member for member in enum}

    def read(value: Any) -> Any:
        if value is None or isinstance(value, enum):
            return value
        text = str(value)
        return squashed.get(_squash(text), text)

    return Annotated[
        enum | str | None, Field(union_mode="left_to_right"), BeforeValidator(read)
    ]


def _read_code(value: Any) -> Any:
    """Error codes: the doc types `code` as string, its examples are integers [D error-codes];
    a numeric string becomes an int, anything else stays a string."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d{1,12}", text) else text


#: An error code as Partner Center sends it (int or string), read as int where it is numeric.
ErrorCode = Annotated[int | str | None, BeforeValidator(_read_code)]


def _read_time(value: Any) -> Any:
    """ISO-8601 in, aware UTC datetime out. A zone-less time is UTC; .NET's empty date
    (year 1) and unreadable text are no date at all (inferred: seen in SDK-era payloads)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.year <= 1:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _write_time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: A Partner Center timestamp: read leniently, written as `2026-11-02T09:00:00Z`.
UtcTime = Annotated[
    datetime | None,
    BeforeValidator(_read_time),
    PlainSerializer(_write_time, when_used="always"),
]


def _read_text_id(value: Any) -> Any:
    return None if value is None else str(value)


#: An id the API sends sometimes as a number, sometimes as a string (entitlements'
#: `referenceOrder.lineItemId` is the string "0" [D entitlement-resources]): always a string.
TextId = Annotated[str | None, BeforeValidator(_read_text_id)]


class BillingCycle(StrEnum):
    """[SDK EnumJsonConverter.cs, BillingCycleType.cs]: lower snake on the wire."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    BIENNIAL = "biennial"  # SDK only
    TRIENNIAL = "triennial"
    ONE_TIME = "one_time"
    NONE = "none"


if TYPE_CHECKING:  # what the field holds; pydantic reads it through lenient_enum
    BillingCycleValue: TypeAlias = BillingCycle | str | None
else:
    BillingCycleValue = lenient_enum(BillingCycle)


# --- links and collections --------------------------------------------------------------


class Header(PcModel):
    key: str
    value: str = ""


class Link(PcModel):
    """`{uri, method, headers:[{key,value}]}`; `uri` is relative, usually without `/v1`
    [D; SDK CustomerCollectionOperations.cs]."""

    uri: str | None = None
    method: str | None = None
    headers: list[Header] = Field(default_factory=list)


class Attributes(PcModel):
    object_type: str | None = None
    etag: str | None = None


class Resource(PcModel):
    """Every resource carries `attributes.objectType` and `links` [D]."""

    attributes: Attributes | None = None
    links: dict[str, Link | None] | None = None

    def link(self, name: str) -> Link | None:
        return (self.links or {}).get(name)


class Collection(PcModel, Generic[T]):
    """`{totalCount, items, links{self,next?,previous?}, attributes}` [D]."""

    total_count: int | None = None
    items: list[T] = Field(default_factory=list)
    links: dict[str, Link | None] | None = None
    continuation_token: str | None = None
    attributes: Attributes | None = None

    @property
    def next(self) -> Link | None:
        return (self.links or {}).get("next")
