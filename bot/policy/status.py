"""What a subscription's status allows, and how it reads in words: the one list of statuses
that block a change.

OVHcloud publishes no values for `OfficeSubscription.status` (a free string in every schema
version). Its Office family's state enums say `ok` for "in service" and never `active` (tenant
`ServiceStateEnum`, `license.office.UserStateEnum`, `DomainStateEnum`). So the bot refuses only
statuses known to mean "not in service" and lets every other value through — `ok`, `active`,
`Active`, or a word nobody has seen yet — and OVHcloud's own refusal, if any, speaks for itself
at execution. The list below is inferred from those enums and from plain English; an operator's
`csp-bot check --provider-details` shows the values their account really uses.
"""

from __future__ import annotations

import re

from bot.core.i18n import _

#: Statuses that block a seat change, a cancellation or an add-on (compared after `status_key`:
#: case, spaces, hyphens and underscores ignored, so `inCreation` and `IN_CREATION` match).
BLOCKING = frozenset(
    {
        "creating",
        "increation",
        "deleting",
        "deleted",
        "disabled",
        "expired",
        "suspended",
        "suspending",
        "terminating",
        "terminated",
        "cancelled",
        "canceled",
    }
)
#: Of those, the statuses of a subscription that no longer exists (its seats count for nothing).
GONE = frozenset({"deleted", "terminated", "cancelled", "canceled"})
#: Statuses that are on their way to another: shown with an hourglass.
_MOVING = frozenset({"creating", "increation", "deleting", "suspending", "terminating"})


def status_key(status: str | None) -> str:
    """The status as the lists compare it: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s_-]", "", (status or "").casefold())


def in_service(status: str | None) -> bool:
    """Whether a subscription in `status` takes changes: anything not known to block."""
    return status_key(status) not in BLOCKING


def gone(status: str | None) -> bool:
    return status_key(status) in GONE


def moving(status: str | None) -> bool:
    return status_key(status) in _MOVING


def _labels() -> dict[str, str]:
    return {
        "ok": _("in service"),
        "active": _("active"),
        "creating": _("being created"),
        "increation": _("being created"),
        "deleting": _("being deleted"),
        "deleted": _("deleted"),
        "disabled": _("disabled"),
        "expired": _("expired"),
        "suspended": _("suspended"),
        "suspending": _("being suspended"),
        "terminating": _("being terminated"),
        "terminated": _("terminated"),
        "cancelled": _("cancelled"),
        "canceled": _("cancelled"),
        "inmaintenance": _("in maintenance"),
        "reopening": _("reopening"),
    }


def known(status: str | None) -> bool:
    """Whether the bot has words for `status` (whatever it allows)."""
    return status_key(status) in _labels()


def status_label(status: str | None) -> str:
    """The status in words (`ok` → "in service"); a value we do not know is shown as it is.
    Not escaped: the views escape it where it lands in mrkdwn."""
    if status is None or not status.strip():
        return _("no status")
    return _labels().get(status_key(status), status.strip())
