"""Errors that carry a message for the user; `bot.app.slack_app` turns them into Slack answers.

Anything else that escapes a listener is logged with a correlation id and the user sees only
that id: never a stack trace in Slack.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something the user can understand and act on; `message` is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    """The user's role does not permit this."""


class NotFoundError(DomainError):
    """A tenant, subscription or request the user named does not exist (in the cache)."""


class AlreadyHandled(DomainError):
    """Somebody (or a double click) got there first; nothing was changed."""


class FormErrors(DomainError):
    """Invalid modal input: `{block_id: message}`, shown next to each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class OutOfDate(DomainError):
    """A button or form the bot can no longer act on: an old message, a modal from before an
    upgrade, a payload missing what its listener needs. Nothing is changed; the person is told
    to open it again (`again` names the command that does)."""

    def __init__(self, again: str | None = None) -> None:
        from bot.core.i18n import _

        if again:
            message = _("This form is out of date — open it again with `{command}`.",
                        command=again)
        else:
            message = _("This button or form is out of date — run the `/csp` command again.")
        super().__init__(message)
