"""The front door of `/slack/events`: only verified, bounded, well-shaped requests reach bolt.

Order matters. The size is bounded first (nothing unbounded is read), the signature is checked
on the raw bytes next (nothing about an unverified body is parsed, answered or logged at
ERROR), and only then is the body parsed, with its JSON nesting bounded before `json.loads`,
and its shape checked against what Slack always sends. Anything malformed is a 400 with a short
reason; nothing in here raises.

Slack's signing rule (request verification docs; slack_sdk.signature.SignatureVerifier):
`v0=` + hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body), rejected when the
timestamp is more than 5 minutes away. `SignatureVerifier` calls `int()` and `float` arithmetic
on whatever the header holds ("now" or a 400-digit number raise), so the header formats are
checked here first and the HMAC is computed over the raw bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

if TYPE_CHECKING:
    from multidict import MultiMapping

#: Slack's requests are small: a submitted modal of the largest size Slack allows (250 kB of
#: view) stays below once URL-encoded. The bound is also what keeps the worst body's cost —
#: percent-decoding and measuring it, measured in tests/resilience/test_bounds.py — near
#: 50 ms of event loop.
MAX_BODY_BYTES = 512 * 1024
#: Block Kit payloads nest about 12 deep (view.state.values…selected_options[].text).
MAX_JSON_DEPTH = 48
#: A 100-block modal with its state holds a few thousand arrays and objects.
MAX_CONTAINERS = 20_000
MAX_FORM_FIELDS = 64
#: Slack rejects requests older than this (request verification docs).
MAX_CLOCK_SKEW = 5 * 60
SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits: str.isdigit() takes "١٣" too
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

#: Where `response_url`s point (Slack: hooks.slack.com; GovSlack: hooks.slack-gov.com).
SLACK_RESPONSE_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


@dataclass(frozen=True)
class Verdict:
    """`status` 0 means "pass it on"; otherwise the HTTP status to answer, with why."""

    status: int
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == 0


PASS = Verdict(0)
#: Slack's certificate check of the Request URL (`ssl_check=1`), which bolt answers before it
#: verifies signatures: a plain 200 here, and nothing else happens.
SSL_CHECK = Verdict(200, "ssl_check")


def is_ssl_check(raw: bytes) -> bool:
    if len(raw) > 512:
        return False
    try:
        fields = dict(parse_qsl(raw.decode("ascii"), strict_parsing=True, max_num_fields=2))
    except (ValueError, UnicodeDecodeError):
        return False
    return fields.get("ssl_check") == "1" and set(fields) <= {"ssl_check", "token"}


def unauthorized(reason: str) -> Verdict:
    return Verdict(401, reason)


def bad_request(reason: str) -> Verdict:
    return Verdict(400, reason)


# --- the signature ------------------------------------------------------------------------------


def verify_signature(
    secret: str | None,
    timestamps: list[str],
    signatures: list[str],
    raw: bytes,
    now: Callable[[], float] = time.time,
) -> Verdict:
    """401 unless exactly one well-formed, fresh timestamp and one matching signature."""
    if not secret:
        return unauthorized("no signing secret configured")
    if len(timestamps) != 1 or len(signatures) != 1:
        return unauthorized("expected one timestamp and one signature header")
    timestamp, signature = timestamps[0].strip(), signatures[0].strip()
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return unauthorized("malformed timestamp or signature header")
    if abs(now() - int(timestamp)) > MAX_CLOCK_SKEW:
        return unauthorized("stale timestamp")
    expected = "v0=" + hmac.new(
        secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return unauthorized("signature mismatch")
    return PASS


# --- parsing, bounded ---------------------------------------------------------------------------

_ESCAPES = re.compile(r"\\.", re.S)
_STRINGS = re.compile(r'"[^"]*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep brackets nest in `text`, outside strings: linear, at C speed (regexes and
    iterators), so a hostile body is measured before `json.loads` recurses into it."""
    if "\\" in text:
        text = _ESCAPES.sub("", text)
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class Malformed(ValueError):
    """The body cannot be what Slack sends."""


def _json_object(text: str) -> dict[str, Any]:
    # counting is cheaper than measuring: a body with more brackets than any view has is
    # refused before its depth is worked out (so that costs at most MAX_CONTAINERS steps)
    if text.count("[") + text.count("{") > MAX_CONTAINERS:
        raise Malformed("too many JSON arrays and objects")
    if json_depth(text) > MAX_JSON_DEPTH:
        raise Malformed("JSON nested too deeply")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed("not JSON") from None
    if not isinstance(data, dict):
        raise Malformed("JSON body is not an object")
    return data


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """The body as bolt will read it: the same branches as `slack_bolt.request.internals.
    parse_body` (JSON when the content type says so or the body starts with "{"; else a form,
    whose `payload` field, when the body mentions it, is JSON), so what is checked here is what
    the listeners get."""
    if not text:
        raise Malformed("empty body")
    if content_type == "application/json" or text.startswith("{"):
        return _json_object(text)
    try:
        fields = parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:
        raise Malformed("not a form") from None
    names = [name for name, _value in fields]
    if len(set(names)) != len(names):
        raise Malformed("a form field is repeated")
    form = dict(fields)
    if "payload" in text:
        if "payload" not in form:
            raise Malformed("no payload field")  # bolt would read an empty body
        return _json_object(form["payload"])
    return form


# --- shapes: what Slack always sends, typed ---------------------------------------------------


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


#: Slack's user, channel and team ids: capital letters and digits. The bot mentions people
#: and channels by id (`<@U…>`, `<#C…>`), so an id can never carry other text into a message.
SlackId = Annotated[StrictStr, Field(pattern=r"^[A-Z0-9]{1,32}$")]


class _User(_Shape):
    id: SlackId


#: Slack's own limits (Block Kit reference): what its UI can send, so anything longer is not
#: from Slack and nothing longer reaches a parser.
MAX_ID_CHARS = 255  # action_id, block_id, callback_id
MAX_BUTTON_VALUE = 2000
MAX_INPUT_CHARS = 3000  # plain_text_input max_length
MAX_METADATA = 3000  # private_metadata
Id = Annotated[StrictStr, Field(max_length=MAX_ID_CHARS)]


class _Action(_Shape):
    action_id: Id
    block_id: Id | None = None
    value: Annotated[StrictStr, Field(max_length=MAX_BUTTON_VALUE)] | None = None
    selected_option: dict[str, Any] | None = None


class _ElementState(_Shape):
    """One input's state: what was typed is at most what the input accepts."""

    value: Annotated[StrictStr, Field(max_length=MAX_INPUT_CHARS)] | None = None


class _State(_Shape):
    values: dict[Id, dict[Id, _ElementState]]


class _View(_Shape):
    type: StrictStr | None = None
    id: StrictStr | None = None
    callback_id: Annotated[StrictStr, Field(max_length=MAX_ID_CHARS)] = ""
    private_metadata: Annotated[StrictStr, Field(max_length=MAX_METADATA)] = ""
    hash: StrictStr | None = None
    state: _State | None = None


class _Routing(_Shape):
    """What bolt reads from every body to route it and find the workspace (its
    `request.internals.extract_*`): a string or an object, a list of objects."""

    team: StrictStr | dict[str, Any] | None = None
    enterprise: StrictStr | dict[str, Any] | None = None
    authorizations: list[dict[str, Any]] | None = None


class _Interaction(_Routing):
    type: StrictStr
    user: _User
    response_url: StrictStr | None = None
    trigger_id: StrictStr | None = None
    channel: dict[str, Any] | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None


class _BlockActions(_Interaction):
    actions: list[_Action] = Field(min_length=1)
    view: _View | None = None


class _SubmittedView(_View):
    type: StrictStr  # bolt reads it to tell workflow steps apart
    state: _State  # Slack sends what was typed with every submission


class _ViewSubmission(_Interaction):
    view: _SubmittedView


class _Suggestion(_Interaction):
    action_id: Id
    value: Annotated[StrictStr, Field(max_length=MAX_INPUT_CHARS)] = ""
    view: _View | None = None


class _Command(_Routing):
    command: StrictStr = Field(pattern=r"^/")
    user_id: SlackId
    channel_id: SlackId | None = None
    text: StrictStr = ""


class _Event(_Shape):
    type: StrictStr


class _EventCallback(_Routing):
    type: StrictStr
    event: _Event


INTERACTIONS: dict[str, type[_Shape]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "view_closed": _ViewSubmission,
    "block_suggestion": _Suggestion,
}


def shape_of(body: dict[str, Any]) -> type[_Shape] | None:
    """The model a body must fit, from what it says it is; None for what bolt ignores anyway
    (ssl_check, url_verification, app_rate_limited…)."""
    kind = body.get("type")
    if "command" in body:
        return _Command
    if kind == "event_callback":
        return _EventCallback
    if isinstance(kind, str):
        return INTERACTIONS.get(kind, _Interaction if "user" in body else None)
    if "ssl_check" in body:
        return None
    return _Command  # a form that is neither: fails as a slash command would


def check_shape(body: dict[str, Any]) -> Verdict:
    shape = shape_of(body)
    if shape is None:
        return PASS
    try:
        shape.model_validate(body)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return bad_request(f"unexpected shape at {where or 'top level'}")
    return PASS


def check_request(
    secret: str | None,
    headers: MultiMapping[str],
    raw: bytes,
    content_type: str | None,
    now: Callable[[], float] = time.time,
) -> tuple[Verdict, str]:
    """Signature, then encoding, parse and shape; returns the verdict and the decoded body.
    `headers` is a multi-dict (aiohttp's) so that repeated headers are seen."""
    verdict = verify_signature(
        secret, headers.getall(TIMESTAMP_HEADER, []), headers.getall(SIGNATURE_HEADER, []),
        raw, now,
    )
    if not verdict.passed:
        return (SSL_CHECK if is_ssl_check(raw) else verdict), ""
    try:
        text = raw.decode("utf-8")
        body = parse_body(text, content_type)
    except UnicodeDecodeError:
        return bad_request("not UTF-8"), ""
    except Malformed as exc:
        return bad_request(str(exc)), ""
    return check_shape(body), text


# --- response_url ---------------------------------------------------------------------------


def response_url_allowed(url: object, api_url: str) -> bool:
    """A `response_url` the bot may post to: https on Slack's hooks hosts, or the host of the
    configured Web API (the emulator in tests, the playground)."""
    if not isinstance(url, str):
        return False
    try:
        target, api = urlsplit(url), urlsplit(api_url)
    except ValueError:
        return False
    if target.scheme == "https" and target.hostname in SLACK_RESPONSE_HOSTS:
        return True
    return bool(api.hostname) and (target.scheme, target.netloc) == (api.scheme, api.netloc)


def response_urls_of(body: dict[str, Any]) -> list[object]:
    """Every response_url bolt may answer to: the body's, and a modal's `response_urls`."""
    urls: list[object] = []
    if "response_url" in body:
        urls.append(body["response_url"])
    entries = body.get("response_urls")
    for entry in entries if isinstance(entries, list) else [] if entries is None else [entries]:
        urls.append(entry.get("response_url") if isinstance(entry, dict) else entry)
    return urls
