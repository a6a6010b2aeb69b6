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
