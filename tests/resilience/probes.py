"""Hostile requests, as lists: forged signature headers and malformed bodies.

Each probe is (name, body, content type, headers); `headers` may hold a header twice, so it is
a list of pairs. The figures in docs/reliability.md count these lists.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse

from tests.conftest import SIGNING_SECRET, STAFF_CHANNEL
from tests.slack_emulator import TEAM_ID

Headers = list[tuple[str, str]]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(body: str | bytes, timestamp: str | None = None, secret: str = SIGNING_SECRET) -> str:
    raw = body.encode() if isinstance(body, str) else body
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def signed(body: str | bytes, timestamp: str | None = None) -> Headers:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    return [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", sign(body, ts))]


def victim_bodies(response_url: str, user: str, channel: str = STAFF_CHANNEL) -> dict:
    """Bodies an attacker sends, naming a response_url and a conversation to write to."""
    command = urllib.parse.urlencode({
        "command": "/csp", "text": "tenants", "user_id": user, "channel_id": channel,
        "team_id": TEAM_ID, "response_url": response_url, "trigger_id": "1.2.3",
    })
    action = json.dumps({
        "type": "block_actions", "user": {"id": user}, "team": {"id": TEAM_ID},
        "channel": {"id": channel}, "response_url": response_url, "trigger_id": "1.2.3",
        "actions": [{"action_id": "pipeline_approve", "block_id": "b", "value": "1"}],
    })
    submission = json.dumps({
        "type": "view_submission", "user": {"id": user}, "team": {"id": TEAM_ID},
        "view": {"id": "V1", "type": "modal", "callback_id": "pipeline_confirm",
                 "private_metadata": "1", "state": {"values": {}}},
        "response_urls": [{"response_url": response_url, "channel_id": channel}],
    })
    event = json.dumps({
        "type": "event_callback", "team_id": TEAM_ID,
        "event": {"type": "app_home_opened", "user": user, "tab": "home"},
    })
    return {
        "command": (command, FORM),
        "action": ("payload=" + urllib.parse.quote(action), FORM),
        "submission": ("payload=" + urllib.parse.quote(submission), FORM),
        "event": (event, JSON),
    }


def forged_headers(body: str) -> dict[str, Headers]:
    """Every way the two signature headers can be wrong for `body`."""
    now = int(time.time())
    good_ts = str(now)
    good = sign(body, good_ts)
    return {
        "no headers": [],
        "no timestamp": [("X-Slack-Signature", good)],
        "no signature": [("X-Slack-Request-Timestamp", good_ts)],
        "timestamp 'now'": [("X-Slack-Request-Timestamp", "now"), ("X-Slack-Signature", good)],
        "timestamp 'now', signed as such": [
            ("X-Slack-Request-Timestamp", "now"), ("X-Slack-Signature", sign(body, "now"))],
        "400-digit timestamp": [
            ("X-Slack-Request-Timestamp", "9" * 400),
            ("X-Slack-Signature", sign(body, "9" * 400))],
        "5000-digit timestamp": [
            ("X-Slack-Request-Timestamp", "1" * 5000), ("X-Slack-Signature", good)],
        "negative timestamp": [
            ("X-Slack-Request-Timestamp", f"-{now}"), ("X-Slack-Signature", sign(body, f"-{now}"))],
        "float timestamp": [
            ("X-Slack-Request-Timestamp", f"{now}.5"),
            ("X-Slack-Signature", sign(body, f"{now}.5"))],
        "exponent timestamp": [
            ("X-Slack-Request-Timestamp", "1.7e9"), ("X-Slack-Signature", sign(body, "1.7e9"))],
        "Arabic-Indic digits": [
            ("X-Slack-Request-Timestamp", "١٧٠٠٠٠٠٠٠٠"), ("X-Slack-Signature", good)],
        "empty timestamp": [("X-Slack-Request-Timestamp", ""), ("X-Slack-Signature", good)],
        "stale timestamp (6 minutes)": signed(body, str(now - 360)),
        "future timestamp (6 minutes)": signed(body, str(now + 360)),
        "zero timestamp": signed(body, "0"),
        "empty signature": [("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", "")],
        "v1 signature": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", "v1" + good[2:])],
        "upper-case hex": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", good.upper())],
        "truncated signature": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", good[:-2])],
        "signature with garbage": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", good + "zz")],
        "non-ASCII signature": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", "v0=é" + good[4:])],
        "wrong secret": [
            ("X-Slack-Request-Timestamp", good_ts),
            ("X-Slack-Signature", sign(body, good_ts, "another-secret"))],
        "signature of another body": [
            ("X-Slack-Request-Timestamp", good_ts),
            ("X-Slack-Signature", sign(body + " ", good_ts))],
        "signature of another timestamp": [
            ("X-Slack-Request-Timestamp", good_ts),
            ("X-Slack-Signature", sign(body, str(now - 1)))],
        "two timestamps": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Request-Timestamp", "now"),
            ("X-Slack-Signature", good)],
        "two signatures": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Signature", "v0=" + "0" * 64),
            ("X-Slack-Signature", good)],
        "two timestamps, both good": [
            ("X-Slack-Request-Timestamp", good_ts), ("X-Slack-Request-Timestamp", good_ts),
            ("X-Slack-Signature", good)],
    }


def malformed_bodies() -> dict[str, tuple[str | bytes, str]]:
    """Bodies that cannot be Slack's, however they are signed: each must be a 400."""
    def payload(value: str) -> str:
        return "payload=" + urllib.parse.quote(value)

    user = {"id": "U0ALICE"}
    action = {"action_id": "browse_next", "value": "x"}
    view = {"id": "V1", "type": "modal", "callback_id": "seats_form", "private_metadata": "",
            "state": {"values": {}}}
    deep = "[" * 5000 + "]" * 5000
    return {
        "payload not JSON": (payload("{not-json"), FORM),
        "payload a list": (payload("[1,2,3]"), FORM),
        "payload a string": (payload('"just a string"'), FORM),
        "payload a number": (payload("5"), FORM),
        "payload null": (payload("null"), FORM),
        "payload empty list": (payload("[]"), FORM),
        "payload 5,000-deep arrays": (payload(deep), FORM),
        "payload 5,000-deep objects": (payload('{"a":' * 5000 + "1" + "}" * 5000), FORM),
        "payload field empty": ("payload=", FORM),
        "payload twice": (payload('{"type":"x"}') + "&" + payload('{"type":"y"}'), FORM),
        "JSON body a list": ("[1,2,3]", JSON),
        "JSON body a string": ('"just a string"', JSON),
        "JSON body a number": ("5", JSON),
        "JSON body null": ("null", JSON),
        "JSON body empty list": ("[]", JSON),
        "JSON body not JSON": ("{not-json", JSON),
        "JSON body 5,000-deep": (deep, JSON),
        "empty body": ("", FORM),
        "payload not UTF-8": ("payload=%FF%FE", FORM),
        "body not UTF-8": (b"command=%2Fcsp&user_id=U0ALICE&text=\xff\xfe", FORM),
        "user a number": (payload(json.dumps(
            {"type": "block_actions", "user": 5, "actions": [action]})), FORM),
        "user id not a Slack id": (payload(json.dumps(
            {"type": "block_actions", "user": {"id": "<!channel>"}, "actions": [action]})), FORM),
        "command channel not a Slack id": (
            "command=%2Fcsp&text=help&user_id=U0ALICE&channel_id=%3C%21here%3E", FORM),
        "user without id": (payload(json.dumps(
            {"type": "block_actions", "user": {}, "actions": [action]})), FORM),
        "view null in a submission": (payload(json.dumps(
            {"type": "view_submission", "user": user, "view": None})), FORM),
        "view a string": (payload(json.dumps(
            {"type": "view_submission", "user": user, "view": "V1"})), FORM),
        "state values a list": (payload(json.dumps(
            {"type": "view_submission", "user": user,
             "view": {**view, "state": {"values": []}}})), FORM),
        "submission without state": (payload(json.dumps(
            {"type": "view_submission", "user": user,
             "view": {k: v for k, v in view.items() if k != "state"}})), FORM),
        "private_metadata a number": (payload(json.dumps(
            {"type": "view_submission", "user": user,
             "view": {**view, "private_metadata": 5}})), FORM),
        "actions null": (payload(json.dumps(
            {"type": "block_actions", "user": user, "actions": None})), FORM),
        "actions empty": (payload(json.dumps(
            {"type": "block_actions", "user": user, "actions": []})), FORM),
        "action a string": (payload(json.dumps(
            {"type": "block_actions", "user": user, "actions": ["browse_next"]})), FORM),
        "action_id a number": (payload(json.dumps(
            {"type": "block_actions", "user": user, "actions": [{"action_id": 5}]})), FORM),
        "action value a list": (payload(json.dumps(
            {"type": "block_actions", "user": user,
             "actions": [{"action_id": "browse_next", "value": [1]}]})), FORM),
        "suggestion without action_id": (payload(json.dumps(
            {"type": "block_suggestion", "user": user, "value": "x"})), FORM),
        "type a number": (payload(json.dumps({"type": 5, "user": user})), FORM),
        "event null": (json.dumps({"type": "event_callback", "event": None}), JSON),
        "event a list": (json.dumps({"type": "event_callback", "event": []}), JSON),
        "event without type": (json.dumps({"type": "event_callback", "event": {}}), JSON),
        "JSON object with no type": ("{}", JSON),
        "command without user": ("command=%2Fcsp&text=help", FORM),
        "command not a command": ("command=csp&text=help&user_id=U0ALICE", FORM),
        "form of nothing": ("a=b&c=d", FORM),
        "form not a form": ("%%%", FORM),
        "too many fields": ("&".join(f"f{i}=x" for i in range(200)), FORM),
        "typed value past Slack's 3,000": (payload(json.dumps(
            {"type": "view_submission", "user": user, "view": {**view, "state": {"values": {
                "b": {"a": {"type": "plain_text_input", "value": "x" * 3001}}}}}})), FORM),
        "private_metadata past 3,000": (payload(json.dumps(
            {"type": "view_submission", "user": user,
             "view": {**view, "private_metadata": "x" * 3001}})), FORM),
        "button value past 2,000": (payload(json.dumps(
            {"type": "block_actions", "user": user,
             "actions": [{"action_id": "browse_next", "value": "x" * 2001}]})), FORM),
        "element state a string": (payload(json.dumps(
            {"type": "view_submission", "user": user,
             "view": {**view, "state": {"values": {"b": {"a": "x"}}}}})), FORM),
        "oversized body": ("command=%2Fcsp&user_id=U0ALICE&text=" + "a" * (512 * 1024), FORM),
    }
