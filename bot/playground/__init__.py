"""A local playground: the bot with a web page that stands in for Slack.

`csp-bot playground` (and `csp-bot serve` without Slack credentials) serves both on
http://127.0.0.1:3000, on the sandbox provider, so every flow can be tried before the Slack app
exists. See `server.Playground`.
"""

from bot.playground.roles import seed_playground_roles
from bot.playground.server import Playground

__all__ = ["Playground", "seed_playground_roles"]
