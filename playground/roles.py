"""The playground's cast: who is what, so an approval can be tried by someone who did not ask.

Alice (U0ALICE) is staff, as everyone is by default; Ada (U0ADA) is an admin because the
playground starts the bot with CSP_ADMINS=U0ADA; Sam (U0SAM) is made a support agent here,
through the bot's own role mechanism, so the grant looks exactly like one made with
`/csp roles grant`.
"""

from __future__ import annotations

from bot.core.domain import Role

PLAYGROUND_ADMIN = "U0ADA"
PLAYGROUND_SUPPORT = ("U0SAM",)
GRANTED_BY = "playground"


async def seed_playground_roles(runtime) -> None:
    """Grants the support role to the playground's support agent(s); safe to run twice."""
    for user_id in PLAYGROUND_SUPPORT:
        await runtime.roles.grant(user_id, Role.SUPPORT, GRANTED_BY)
