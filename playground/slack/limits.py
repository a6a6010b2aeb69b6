"""What Slack refuses in blocks, messages and views, with the error code it answers.

The limits are Block Kit's published ones (Slack's Block Kit reference: blocks, block elements,
composition objects, views). A message past them answers `invalid_blocks` (chat.postMessage,
chat.postEphemeral, chat.update, response_url); a view answers `invalid_arguments`
(views.open, views.push, views.update, views.publish, and a `response_action` with a view).
The detail says which rule, as Slack's `response_metadata.messages` does.
"""

from __future__ import annotations

import json
from typing import Any

from playground.slack.errors import SlackError

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_BYTES = 250_000
MODAL_TITLE = 24  # also submit and close
PRIVATE_METADATA = 3000
ID_CHARS = 255  # callback_id, action_id, block_id
SECTION_TEXT = 3000
SECTION_FIELDS = 10
HEADER_TEXT = 150
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
BUTTON_TEXT, BUTTON_VALUE, BUTTON_URL = 75, 2000, 3000
PLACEHOLDER = 150
STATIC_SELECT_OPTIONS = 100
OVERFLOW_OPTIONS = (2, 5)
OPTION_TEXT, OPTION_VALUE = 75, 150
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
TEXT_INPUT_LENGTH = 3000


def check_message(args: dict, *, need_content: bool = True) -> None:
    """A message's `text`, `blocks` and `attachments` as chat.postMessage checks them."""
    if need_content and not (args.get("text") or args.get("blocks") or args.get("attachments")):
        raise SlackError("no_text")
    blocks = args.get("blocks") or []
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks", "blocks must be a list")
    _check(len(blocks) <= MESSAGE_BLOCKS, "invalid_blocks",
           f"a message holds at most {MESSAGE_BLOCKS} blocks")
    check_blocks(blocks, "invalid_blocks")


def check_view(view: Any) -> None:
    """A view as views.open, views.push, views.update and views.publish check it."""
    code = "invalid_arguments"
    _check(isinstance(view, dict), code, "view is missing")
    kind = view.get("type")
    _check(kind in ("modal", "home"), code, "a view's type must be modal or home")
    blocks = view.get("blocks") or []
    _check(isinstance(blocks, list), code, "blocks must be a list")
    _check(len(blocks) <= VIEW_BLOCKS, code, f"a view holds at most {VIEW_BLOCKS} blocks")
    _check(len(json.dumps(view)) <= VIEW_BYTES, code, "a view holds at most 250 kB")
    _check(len(view.get("private_metadata") or "") <= PRIVATE_METADATA, code,
           f"private_metadata holds at most {PRIVATE_METADATA} characters")
    _check(len(view.get("callback_id") or "") <= ID_CHARS, code,
           f"callback_id holds at most {ID_CHARS} characters")
    if kind == "modal":
        _check(0 < len(_text(view.get("title"))) <= MODAL_TITLE, code,
               f"a modal needs a title of 1 to {MODAL_TITLE} characters")
        for key in ("submit", "close"):
            _check(len(_text(view.get(key))) <= MODAL_TITLE, code,
                   f"a modal's {key} holds at most {MODAL_TITLE} characters")
        has_inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        _check(not has_inputs or bool(view.get("submit")), code,
               "a modal with input blocks needs a submit button")
    check_blocks(blocks, code)


def check_blocks(blocks: list, code: str) -> None:
    block_ids: set[str] = set()
    for block in blocks:
        _check(isinstance(block, dict) and isinstance(block.get("type"), str), code,
               "every block is an object with a type")
        block_id = block.get("block_id")
        if block_id is not None:
            _check(len(str(block_id)) <= ID_CHARS, code,
                   f"block_id holds at most {ID_CHARS} characters")
            _check(block_id not in block_ids, code, f"block_id {block_id!r} is used twice")
            block_ids.add(block_id)
        _check_block(block, code)


def _check_block(block: dict, code: str) -> None:
    kind = block["type"]
    if kind == "section":
        _check(len(_text(block.get("text"))) <= SECTION_TEXT, code,
               f"a section's text holds at most {SECTION_TEXT} characters")
        _check(len(block.get("fields") or []) <= SECTION_FIELDS, code,
               f"a section holds at most {SECTION_FIELDS} fields")
        for text in block.get("fields") or []:
            _check(len(_text(text)) <= SECTION_TEXT, code,
                   f"a section's field holds at most {SECTION_TEXT} characters")
    elif kind == "header":
        _check(len(_text(block.get("text"))) <= HEADER_TEXT, code,
               f"a header holds at most {HEADER_TEXT} characters")
    elif kind == "actions":
        elements = block.get("elements") or []
        _check(len(elements) <= ACTIONS_ELEMENTS, code,
               f"an actions block holds at most {ACTIONS_ELEMENTS} elements")
        action_ids = [e.get("action_id") for e in elements if isinstance(e, dict)]
        named = [a for a in action_ids if a is not None]
        _check(len(named) == len(set(named)), code,
               "an action_id must be unique within its block")
    elif kind == "context":
        _check(len(block.get("elements") or []) <= CONTEXT_ELEMENTS, code,
               f"a context block holds at most {CONTEXT_ELEMENTS} elements")
    for element in _elements(block):
        _check_element(element, code)


def _elements(block: dict) -> list[dict]:
    found = []
    if block.get("type") in ("actions", "input"):
        found += [e for e in block.get("elements") or [] if isinstance(e, dict)]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            found.append(block[key])
    return found


def _check_element(element: dict, code: str) -> None:
    kind = element.get("type")
    action_id = element.get("action_id")
    if action_id is not None:
        _check(len(str(action_id)) <= ID_CHARS, code,
               f"action_id holds at most {ID_CHARS} characters")
    if "placeholder" in element:
        _check(len(_text(element["placeholder"])) <= PLACEHOLDER, code,
               f"a placeholder holds at most {PLACEHOLDER} characters")
    if kind == "button":
        _check(len(_text(element.get("text"))) <= BUTTON_TEXT, code,
               f"a button's text holds at most {BUTTON_TEXT} characters")
        _check(len(str(element.get("value") or "")) <= BUTTON_VALUE, code,
               f"a button's value holds at most {BUTTON_VALUE} characters")
        _check(len(str(element.get("url") or "")) <= BUTTON_URL, code,
               f"a button's url holds at most {BUTTON_URL} characters")
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += list(group.get("options") or [])
    if kind in ("static_select", "multi_static_select"):
        _check(len(options) <= STATIC_SELECT_OPTIONS, code,
               f"a static select holds at most {STATIC_SELECT_OPTIONS} options")
    if kind == "overflow":
        low, high = OVERFLOW_OPTIONS
        _check(low <= len(options) <= high, code,
               f"an overflow menu holds {low} to {high} options")
    for option in options + [o for o in [element.get("initial_option")] if o]:
        _check(len(_text(option.get("text"))) <= OPTION_TEXT, code,
               f"an option's text holds at most {OPTION_TEXT} characters")
        _check(len(str(option.get("value") or "")) <= OPTION_VALUE, code,
               f"an option's value holds at most {OPTION_VALUE} characters")
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        _check(len(_text(confirm.get("title"))) <= CONFIRM_TITLE, code,
               f"a confirm dialog's title holds at most {CONFIRM_TITLE} characters")
        _check(len(_text(confirm.get("text"))) <= CONFIRM_TEXT, code,
               f"a confirm dialog's text holds at most {CONFIRM_TEXT} characters")
        for key in ("confirm", "deny"):
            _check(len(_text(confirm.get(key))) <= CONFIRM_BUTTON, code,
                   f"a confirm dialog's {key} button holds at most {CONFIRM_BUTTON} characters")
    if kind == "plain_text_input":
        low = element.get("min_length")
        high = element.get("max_length")
        if low is not None:
            _check(0 <= int(low) <= TEXT_INPUT_LENGTH, code,
                   f"min_length is 0 to {TEXT_INPUT_LENGTH}")
        if high is not None:
            _check(1 <= int(high) <= TEXT_INPUT_LENGTH, code,
                   f"max_length is 1 to {TEXT_INPUT_LENGTH}")


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return "" if obj is None else str(obj)


def _check(ok: bool, code: str, detail: str) -> None:
    if not ok:
        raise SlackError(code, detail)
