"""What listeners read from a payload, or `OutOfDate` when it is not there.

The front door (`bot.slack_gate`) has checked the types Slack always sends; what a listener
needs beyond them (a view, a trigger id, a button value) may still be missing from an old or
broken client's request. Reading it here turns that into "open it again", not a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.errors import OutOfDate

log = logging.getLogger(__name__)


def view_of(body: dict, again: str | None = None) -> dict:
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("id"), str):
        raise OutOfDate(again)
    return view


def trigger_of(body: dict, again: str | None = None) -> str:
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise OutOfDate(again)
    return trigger


def value_of(action: dict, again: str | None = None) -> str:
    """A button's value (or a select's chosen value)."""
    value = action.get("value")
    if value is None:
        value = (action.get("selected_option") or {}).get("value")
    if not isinstance(value, str) or not value:
        raise OutOfDate(again)
    return value


def values_of(view: dict) -> dict[str, dict[str, Any]]:
    """The modal's `state.values` (the gate checked its shape when present)."""
    return (view.get("state") or {}).get("values") or {}


def typed_in(view: dict, block_id: str, action_id: str, again: str | None = None) -> Any:
    """The state of one input of the modal; OutOfDate when the form has no such input."""
    element = values_of(view).get(block_id, {}).get(action_id)
    if not isinstance(element, dict):
        raise OutOfDate(again)
    return element


def answerable(body: dict, again: str | None = None) -> None:
    """A click whose answer replaces or follows its message needs the message's response_url
    (bolt's `respond`); Slack sends one with every click on a message."""
    if not isinstance(body.get("response_url"), str):
        raise OutOfDate(again)


async def replace_view(client: Any, view: dict, new: Any) -> None:
    """Updates a modal where it is, guarded by its hash: when Slack says the modal changed
    meanwhile (`hash_conflict`: a newer update follows) or is gone (`not_found`: closed), the
    update is dropped quietly."""
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in ("hash_conflict", "not_found"):
            raise
        log.info("modal %s not updated (%s): a newer version stays", view["id"], error)
