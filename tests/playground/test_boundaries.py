"""Who imports whom: the bot never loads the playground, and the Slack fake loads no bot code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_docs import ROOT

BOT = """
import pkgutil, sys
import app, bot.app.slack_app, bot.app.server, handlers
for module in pkgutil.walk_packages(handlers.__path__, "handlers."):
    __import__(module.name)
print(sorted(m for m in sys.modules if m == "playground" or m.startswith("playground.")))
"""

FAKE = """
import sys
import playground.slack.web_api, tests.slack_emulator
print(sorted(m for m in sys.modules if m.split(".")[0] in ("bot", "handlers", "store", "app")))
"""


def _loaded(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("script", [BOT, FAKE], ids=["bot-without-playground", "fake-alone"])
def test_import_boundaries(script):
    assert _loaded(script) == "[]"
