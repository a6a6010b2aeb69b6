"""Every emoji the bot writes is one the playground draws: a shortcode it does not know would
show as `:name:` in the page, where Slack shows the picture."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHORTCODE = re.compile(r":([a-z][a-z0-9_+-]*):")


def shortcodes_in_the_bot() -> set[str]:
    found: set[str] = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                # a text: spaces or the start around the code (not "product:sku:availability")
                found.update(m.group(1) for m in SHORTCODE.finditer(node.value)
                             if (m.start() == 0 or not node.value[m.start() - 1].isalnum())
                             and (m.end() == len(node.value) or not node.value[m.end()].isalnum()))
    return found


def emoji_the_playground_draws() -> set[str]:
    script = (ROOT / "playground/static/mrkdwn.js").read_text(encoding="utf-8")
    table = script.split("const EMOJI = {", 1)[1].split("};", 1)[0]
    return set(re.findall(r'"?([a-z0-9_+-]+)"?: "', table))


def test_the_playground_draws_every_emoji_the_bot_writes():
    used = shortcodes_in_the_bot()
    assert {"white_check_mark", "warning", "new"} <= used  # the scan sees them
    assert used - emoji_the_playground_draws() == set()
