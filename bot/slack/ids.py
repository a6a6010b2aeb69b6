"""The one parser of the request ids that buttons and modals carry.

A button's value and a request modal's metadata (`RequestRef`) carry a request id and nothing
else: `42`, or `R42` as people see it. A confirmation's metadata (`DraftRef`) carries its draft's
id (a draft has no request number yet).
"""

from __future__ import annotations

from bot.core.errors import DomainError
from bot.core.i18n import _
from bot.core.numbers import id_of


def parse_request_id(text: object) -> int | None:
    """`42` or `R42` → 42; None for anything else."""
    if isinstance(text, str):
        text = text.strip().removeprefix("R")
    return id_of(text)


def request_id_of(text: object, *, refusal: str | None = None) -> int:
    """The request id `text` carries; a polite DomainError when it carries none (an old or
    tampered button). `refusal` is the whole sentence to say then, when "a request" is not the
    word ("That button no longer points at a refund ticket.")."""
    request_id = parse_request_id(text)
    if request_id is None:
        raise DomainError(refusal or _("That button no longer points at a request."))
    return request_id


def draft_id_of(text: object) -> int:
    """The draft id a confirmation's metadata carries; a polite DomainError when it carries
    none (an old or tampered view)."""
    draft_id = id_of(text.strip() if isinstance(text, str) else text)
    if draft_id is None:
        raise DomainError(_("That confirmation no longer points at a request."))
    return draft_id
