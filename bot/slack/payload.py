"""What listeners read from a payload, or `OutOfDate` when it is not there.

The front door (`bot.app.slack_gate`) has checked the types Slack always sends; what a listener
needs beyond them (a view, a trigger id, a button value) may still be missing from an old or
broken client's request. Reading it here turns that into "open it again", not a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.core.errors import OutOfDate
from bot.slack.state import ViewState

#: A payload's body, or its action, view or event, as bolt hands it to a listener.
Payload = dict[str, Any]


def view_of(body: Mapping[str, Any], again: str | None = None) -> dict[str, Any]:
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("id"), str):
        raise OutOfDate(again)
    return view


def trigger_of(body: Mapping[str, Any], again: str | None = None) -> str:
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise OutOfDate(again)
    return trigger


def value_of(action: Mapping[str, Any], again: str | None = None) -> str:
    """A button's value (or a select's chosen value)."""
    value = action.get("value")
    if value is None:
        value = (action.get("selected_option") or {}).get("value")
    if not isinstance(value, str) or not value:
        raise OutOfDate(again)
    return value


def typed_in(
    view: Mapping[str, Any], block_id: str, action_id: str, again: str | None = None
) -> Mapping[str, Any]:
    """The state of one input of the modal; OutOfDate when the form has no such input."""
    element = ViewState.of(view).element(block_id, action_id)
    if element is None:
        raise OutOfDate(again)
    return element


def answerable(body: Mapping[str, Any], again: str | None = None) -> None:
    """A click whose answer replaces or follows its message needs the message's response_url
    (bolt's `respond`); Slack sends one with every click on a message."""
    if not isinstance(body.get("response_url"), str):
        raise OutOfDate(again)


# --- overflow menus ----------------------------------------------------------------------------
# Slack gives an overflow menu one action_id for all its items, so each item's value is
# "<item>:<value>": the item says which flow it opens, the value what it opens on.


def menu_choice(action: Mapping[str, Any]) -> tuple[str, str] | None:
    """(item, value) of the overflow item chosen in `action`, or None."""
    chosen = (action.get("selected_option") or {}).get("value")
    if not isinstance(chosen, str) or ":" not in chosen:
        return None
    item, _sep, value = chosen.rpartition(":")
    return item, value


def menu_item(item: str) -> Callable[[dict[str, Any]], Awaitable[bool]]:
    """A matcher: the person chose `item` in an overflow menu."""

    async def matches(body: dict[str, Any]) -> bool:
        actions = body.get("actions") or [{}]
        choice = menu_choice(actions[0]) if isinstance(actions[0], Mapping) else None
        return choice is not None and choice[0] == item

    return matches


def button_value(action: Mapping[str, Any]) -> str | None:
    """A button's value, or the value of the overflow item chosen."""
    choice = menu_choice(action)
    if choice is not None:
        return choice[1]
    value = action.get("value")
    return value if isinstance(value, str) else None
