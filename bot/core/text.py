"""The one escaping rule for text the bot sends to Slack.

Everything a person typed or a provider returned (display names, contact names, license names,
titles, notes, command arguments, error texts) goes through `escape()` where it is put into a
message, a modal or an answer: block texts, the top-level `text` fallback, ephemeral answers,
DMs, option labels and headers alike. Values are escaped when rendered, never when stored, so
what the cache and the provider hold is what people typed.

Slack's rule ("Escaping text", formatting reference): `&`, `<` and `>` are its control
characters, replaced by `&amp;`, `&lt;` and `&gt;` unless used for special parsing; it decodes
exactly those three for display. With them escaped, `<!channel>`, `<!here>`, `<!subteam^…>`,
`<@U…>`, `<#C…>`, `<!date^…>` and `<url|label>` show as typed and never ping or link. The bot's
own tokens are built from Slack ids (`<@U…>`, `<#C…>`: `bot.app.slack_gate` lets in only ids of
capital letters and digits) and by `bot.core.blocks.date_token()`, never from typed text.

Messages — a `DomainError`'s message, a modal's notice — are built ready to show: each value is
escaped where it is put into the sentence, and the sentence is not escaped again.
"""

from __future__ import annotations


def escape(value: object) -> str:
    """`value` as text Slack shows literally; None is the empty string."""
    if value is None:
        return ""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """`text` (mrkdwn, already escaped) cut to at most `limit` characters, and saying so.

    The cut falls between words, never inside an escaped character (`&amp;`) or a Slack token
    (`<@U…>`, `<!date^…>`), and ends with how much was left out, so nobody takes a shortened
    note for the whole of it.
    """
    kept, said = cut_saying(text, limit)
    return kept + (" " + said if said else "")


def cut_saying(text: str, limit: int) -> tuple[str, str]:
    """`shorten()` in two parts: the text kept, and the words that say what was left out
    ("" when nothing was), for a caller that puts them apart (after a code block)."""
    if len(text) <= limit:
        return text, ""
    from bot.core.i18n import ngettext

    def left_out(n: int) -> str:
        return "… " + ngettext("_({n} more character not shown)_",
                               "_({n} more characters not shown)_", n)

    # the count of the whole text is at least as long as the final one: room enough
    cut = _safe_cut(text, max(limit - len(left_out(len(text))) - 1, 0))
    return text[:cut].rstrip(), left_out(len(text) - cut)


def _safe_cut(text: str, room: int) -> int:
    """Where to cut `text` to keep at most `room` characters: at the last space, outside
    entities and tokens (the whole room when there is no space)."""
    cut = room
    opened = max(text.rfind("<", 0, cut), text.rfind("&", 0, cut))
    if opened != -1 and max(text.find(">", opened), text.find(";", opened)) >= cut:
        cut = opened  # inside `<…>` or `&…;`: cut before it
    space = text.rfind(" ", 0, cut)
    return space if space > room // 2 else cut
