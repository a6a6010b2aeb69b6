"""A local playground: the bot with a web page that stands in for Slack.

`csp-bot playground` (and `csp-bot serve` without Slack credentials) serves both on
http://127.0.0.1:3000, on the sandbox provider, so every flow can be tried before the Slack app
exists. See `playground.server.Playground`.

This package is not on the bot's import path: the bot's modules never import it (only the
command line does, when it starts the playground), and importing `playground` itself imports
nothing, so the tests can use the Slack fake without the page or the bot.
"""
