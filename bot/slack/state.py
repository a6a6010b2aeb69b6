"""The one reader of a modal's `view.state.values`.

Slack keys the state by block id, then by action id, and each element type keeps what was
entered under its own key: `value` (text inputs), `selected_option` (selects, radio buttons),
`selected_options` (checkboxes), `selected_date` (date pickers). A block may be missing (the
person never touched a prefilled select), and an old or broken client may send anything, so
every read here answers None (or nothing) rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Values = Mapping[str, Mapping[str, Any]]


class ViewState:
    """`view.state.values`, read the way every element type stores its value."""

    def __init__(self, values: object) -> None:
        if isinstance(values, ViewState):
            values = values.values
        self.values: Values = values if isinstance(values, Mapping) else {}

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> ViewState:
        state = view.get("state")
        return cls(state.get("values") if isinstance(state, Mapping) else None)

    def has(self, block_id: str) -> bool:
        return block_id in self.values

    def with_default(self, block_id: str, value: str | None) -> ViewState:
        """This state, with `value` in `block_id` where nothing is there yet."""
        if not value or self.get(block_id):
            return self
        return ViewState({**self.values, block_id: {"default": {"value": value}}})

    def block_named(self, name: str) -> str | None:
        """The first block whose id is `name` or starts with `name.` (ids that carry a
        version, so Slack forgets what was entered in another one)."""
        return next((b for b in self.values if b.split(".")[0] == name), None)

    def _elements(self, block_id: str) -> list[Mapping[str, Any]]:
        block = self.values.get(block_id)
        if not isinstance(block, Mapping):
            return []
        return [e for e in block.values() if isinstance(e, Mapping)]

    def element(self, block_id: str, action_id: str | None = None) -> Mapping[str, Any] | None:
        """The state of one input: by its action id, or the block's only (first) element."""
        if action_id is None:
            elements = self._elements(block_id)
            return elements[0] if elements else None
        element = (self.values.get(block_id) or {}).get(action_id)
        return element if isinstance(element, Mapping) else None

    def raw(self, block_id: str, action_id: str | None = None) -> str | None:
        """What was typed in a text input, as typed (None when nothing was sent)."""
        value = (self.element(block_id, action_id) or {}).get("value")
        return value if isinstance(value, str) else None

    def text(self, block_id: str, action_id: str | None = None) -> str:
        """What was typed in a text input, stripped ("" when empty)."""
        return (self.raw(block_id, action_id) or "").strip()

    def choice(self, block_id: str, action_id: str | None = None) -> str | None:
        """The value of the option chosen in a select or radio buttons, or None."""
        option = (self.element(block_id, action_id) or {}).get("selected_option")
        value = option.get("value") if isinstance(option, Mapping) else None
        return value if isinstance(value, str) else None

    def chosen(self, block_id: str, action_id: str | None = None) -> list[str]:
        """The values of the ticked checkboxes."""
        options = (self.element(block_id, action_id) or {}).get("selected_options")
        if not isinstance(options, list):
            return []
        return [o["value"] for o in options
                if isinstance(o, Mapping) and isinstance(o.get("value"), str)]

    def date(self, block_id: str, action_id: str | None = None) -> str | None:
        value = (self.element(block_id, action_id) or {}).get("selected_date")
        return value if isinstance(value, str) else None

    def get(self, block_id: str) -> str | None:
        """Whatever the block holds, chosen or typed, stripped; None when blank."""
        for element in self._elements(block_id):
            if "selected_option" in element:
                option = element["selected_option"] or {}
                value = option.get("value") if isinstance(option, Mapping) else None
            else:
                value = element.get("value")
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def label(self, block_id: str) -> str | None:
        """The text of a chosen option (external selects carry it; the cache may not)."""
        for element in self._elements(block_id):
            option = element.get("selected_option")
            if isinstance(option, Mapping) and option:
                text = (option.get("text") or {}).get("text")
                return text if isinstance(text, str) else None
        return None
