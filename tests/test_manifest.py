"""manifest.yml is what an operator pastes into Slack: Slack refuses it past its limits, and a
scope too many is a permission the bot should not hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core.ids import Command

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

EXPECTED_BOT_SCOPES = {
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "usergroups:read",
    "files:write",  # the usage chart (files_upload_v2)
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def csp_command(manifest) -> dict:
    commands = [c for c in manifest["features"]["slash_commands"] if c["command"] == Command.CSP]
    assert len(commands) == 1, f"manifest.yml must declare {Command.CSP} exactly once"
    return commands[0]


def test_display_information_is_within_slacks_limits(manifest):
    info = manifest["display_information"]
    assert 0 < len(info["name"]) <= 35
    assert 0 < len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])


def test_every_slash_command_is_valid(manifest):
    for command in manifest["features"]["slash_commands"]:
        assert command["command"].startswith("/")
        assert len(command["command"]) <= 32
        assert command["description"]
        assert command["should_escape"] is False
        assert "url" not in command, "the manifest is for Socket Mode: no request URLs"


def test_csp_command_has_a_usage_hint_slack_accepts(csp_command):
    hint = csp_command["usage_hint"]
    assert 0 < len(hint) <= 1000
    assert "help" in hint.split(" | ")


async def test_every_registered_subcommand_is_discoverable(csp_command, slack, bot):
    """Each subcommand shows in the usage hint or, failing that, in what `/csp help` answers."""
    hint_words = set(csp_command["usage_hint"].replace("|", " ").split())
    reply = await slack.command("help")
    assert reply.status == 200
    for entry in bot.bolt.router.entries:
        assert entry.name in hint_words or f"/csp {entry.name}" in reply.text, entry.name


def test_bot_scopes_are_exactly_what_the_bot_uses(manifest):
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes["bot"]) == EXPECTED_BOT_SCOPES
    assert len(scopes["bot"]) == len(EXPECTED_BOT_SCOPES), "a scope is listed twice"
    assert "user" not in scopes, "the bot acts as itself, never as a user"


def test_bot_user_app_home_and_events(manifest):
    features = manifest["features"]
    assert features["bot_user"]["display_name"] == "csp-bot"
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_settings_are_for_socket_mode_with_interactivity(manifest):
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert "request_url" not in settings["interactivity"]
    assert "request_url" not in settings["event_subscriptions"]


def test_comment_explains_the_http_mode_edits():
    comments = "\n".join(
        line for line in MANIFEST.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    assert "socket_mode_enabled: false" in comments
    for key in ("url:", "request_url:", "message_menu_options_url:"):
        assert f"{key} https://<host>/slack/events" in comments, key
