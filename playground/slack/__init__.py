"""The one Slack fake: the workspace Slack keeps (people, messages, modal stacks, triggers,
response_urls) and its Web API, with Slack's rules and error codes.

The playground serves it to the page; the tests' emulator (tests/slack_emulator.py) is a thin
layer over it. It imports nothing from the bot.
"""
