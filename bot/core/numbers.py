"""Whole numbers from what people type and what payloads carry: ASCII digits only, bounded
before they are converted.

`float()` takes "1e20" and "13.0", `int()` takes "١٣" and refuses 4,300 digits with an error
meant for programmers; `str.isdigit()` says yes to "²" and to every script's digits. Here a
number is `[0-9]+` (a leading "+" where the field allows it), its length is checked before
`int()` sees it, and every refusal says why in words.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.core.formats import MINUS, number
from bot.core.i18n import _

#: A ceiling for counts when no rule gives one (seats, licenses): no license group holds more.
MAX_COUNT = 1_000_000
#: Ids (requests, subscriptions, tasks, licenses) fit a signed 64-bit column.
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-\s*[0-9]+")
#: Longer than any number we accept, so nothing past it is looked at.
_LONGEST = 64


class Problem(StrEnum):
    EMPTY = "empty"
    NEGATIVE = "negative"
    NOT_WHOLE = "not_whole"
    TOO_LARGE = "too_large"


class NumberError(ValueError):
    """Typed text that is not a whole number in range; `problem` says which way."""

    def __init__(self, problem: Problem, maximum: int) -> None:
        self.problem = problem
        self.maximum = maximum
        super().__init__(default_message(problem, maximum))


def default_message(problem: Problem, maximum: int) -> str:
    return {
        Problem.EMPTY: _("Enter a whole number."),
        Problem.NEGATIVE: _("Enter a number of 0 or more."),
        Problem.NOT_WHOLE: _("Enter a whole number with the digits 0–9, e.g. 13."),
        Problem.TOO_LARGE: _("That is too large: at most {maximum}.", maximum=number(maximum)),
    }[problem]


def parse_whole(text: object, *, maximum: int = MAX_COUNT, plus: bool = False) -> int:
    """`text` as a whole number from 0 to `maximum`; raises NumberError. `plus` accepts a
    leading "+" ("+3" is 3), for fields where it cannot mean "3 more"."""
    raw = "" if text is None else str(text)[: _LONGEST * 4].strip()
    if not raw:
        raise NumberError(Problem.EMPTY, maximum)
    if _NEGATIVE.fullmatch(raw):
        raise NumberError(Problem.NEGATIVE, maximum)
    digits = raw[1:] if plus and raw.startswith("+") else raw
    if not _DIGITS.fullmatch(digits):
        raise NumberError(Problem.NOT_WHOLE, maximum)
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(maximum)) or int(digits) > maximum:
        raise NumberError(Problem.TOO_LARGE, maximum)
    return int(digits)


def id_of(text: object) -> int | None:
    """An id carried in a button value, metadata or a command word; None when it is not one."""
    if not isinstance(text, str | int) or isinstance(text, bool):
        return None
    try:
        return parse_whole(str(text), maximum=MAX_ID)
    except NumberError:
        return None


def signed(n: int) -> str:
    """A difference with its sign: `+3`, `−2`."""
    return f"+{n}" if n >= 0 else f"{MINUS}{-n}"
