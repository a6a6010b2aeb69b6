"""The one error the fake's Slack raises: a Web API error answer."""

from __future__ import annotations


class SlackError(Exception):
    """A Web API error answer, `{"ok": false, "error": code}`."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
