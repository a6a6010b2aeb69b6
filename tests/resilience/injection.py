"""The injection corpus, and the oracle that finds a live mention or link in what Slack got.

The corpus is what a person could type in any field, or a provider could return in any
name: Slack's special tokens (broadcasts, user, channel and user-group mentions, links, a date
token carrying a link) and its three control characters. The bot's own deliberate tokens
(`<@U0ALICE>` for a requester, `<!date^…|…>` dates, links to its own cards) never carry the
EVIL markers, so anything the oracle finds came from the corpus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

#: One line of everything; fields with short limits get the pieces.
PIECES = (
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S0EVIL|@ops>", "<@U0EVIL>",
    "<#C0EVIL>", "<http://evil.example|click me>", "<mailto:x@evil.example|mail>",
    "<!date^1700000000^{date}^http://evil.example|today>", "A&T <b>",
)
CORPUS = " ".join(PIECES)
SHORT = "<!channel> <@U0EVIL> & <#C0EVIL>"

_LIVE = re.compile(
    r"<(?:!channel|!here|!everyone|!subteam\^|@U0EVIL|#C0EVIL)|<[^<>]*evil\.example", re.I
)


def texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, string) a person can see: the `text` of text objects and messages (the
    notification fallback included), attachment fallbacks, and option labels."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if key in ("text", "fallback", "pretext", "title") and isinstance(value, str):
                yield where, value
            elif isinstance(value, str) and key in ("blocks", "view"):
                yield from texts(json.loads(value), where)
            else:
                yield from texts(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from texts(item, f"{path}[{index}]")


def live_tokens(node: Any) -> list[tuple[str, str]]:
    """(where, token) for each live mention or link from the corpus in `node`."""
    return [(where, m.group(0)) for where, text in texts(node) for m in _LIVE.finditer(text)]
