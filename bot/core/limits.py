"""How much of what people type the bot looks at: every command and text field is capped
before it is parsed or searched, so the cost of one request is bounded and Slack's 3 seconds
(and everyone else's requests on the same event loop) are never at risk.

Slack caps what its own inputs accept (plain_text_input max_length ≤ 3000): `bot.app.slack_gate`
holds every request to those limits, and the flows cap their fields below them (a refund's
details, an order's note). Searches read a bounded query (`store.search.words_of`).
"""

from __future__ import annotations

#: A `/csp` command's arguments: generous for "refund <tenant GUID> <order id> <group words>".
MAX_COMMAND_CHARS = 1000
MAX_COMMAND_WORDS = 24
