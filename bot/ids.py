"""Every callback_id, action_id and block_id the bot uses: no string literals elsewhere."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    CSP = "/csp"


class CallbackId(StrEnum):
    NOTICE = "notice"


class ActionId(StrEnum):
    HELP_OPEN = "help_open"


class BlockId(StrEnum):
    HELP = "help"
