"""Modals in place: replacing one where it is, matching the modal an action happened in, and
the channel a click came from."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

#: What Slack answers when a guarded update is not applied, and why that is fine: a newer
#: version of the modal was made meanwhile (its own update follows), or the modal was closed.
QUIET_ERRORS = ("hash_conflict", "not_found")


async def replace_view(client: AsyncWebClient, view: Mapping[str, Any], new: View) -> None:
    """Updates a modal where it is, guarded by its hash: when Slack says the modal changed
    meanwhile (`hash_conflict`: a newer update follows) or is gone (`not_found`: closed), the
    update is dropped quietly."""
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in QUIET_ERRORS:
            raise
        log.info("modal %s not updated (%s): a newer version stays", view["id"], error)


def in_modal(callback_id: str) -> Callable[[dict[str, Any]], Awaitable[bool]]:
    """A matcher: the action happened in the modal with `callback_id` (the typeahead action ids
    are shared by every flow's modal)."""

    async def matches(body: dict[str, Any]) -> bool:
        view = body.get("view")
        return isinstance(view, Mapping) and view.get("callback_id") == callback_id

    return matches


def channel_of(body: Mapping[str, Any]) -> str | None:
    """Where the button was clicked, for the status card; None in App Home and in modals (the
    card then goes where the notifier sends cards without a channel)."""
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    found = channel.get("id") or container.get("channel_id")
    return found if isinstance(found, str) and found else None
