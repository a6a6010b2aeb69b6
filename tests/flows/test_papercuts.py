"""Small things people tripped over, each pinned where they see it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.audit.trail import AuditEvent
from bot.audit.views import event_line
from bot.core.text import cut_saying, shorten
from tests.flows.conftest import open_modal


@pytest.mark.parametrize("command", ["order nordwind", "order new", "refund"])
async def test_an_optional_field_says_so_once(slack, emulator, synced, command):
    """Slack adds "(optional)" to an optional input's label itself."""
    view = await open_modal(slack, emulator, command)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert any(b.get("optional") for b in inputs)
    for b in inputs:
        assert "optional" not in b["label"]["text"].lower(), b["label"]["text"]


def test_a_long_note_is_cut_between_words_and_says_so():
    note = "word " * 600
    shown = shorten(note, 2000)
    assert len(shown) <= 2000
    assert shown.endswith("characters not shown)_")
    kept = shown.split(" … ")[0]
    assert kept.endswith("word") and "wor " not in kept[-6:]
    # never inside an escaped character or a Slack token
    kept, said = cut_saying("a &amp; b <@U0ALICE> c " * 100, 60)
    assert kept.count("&") == kept.count("&amp;") and kept.count("<") == kept.count(">")
    assert said.startswith("… _(")
    assert shorten("short", 10) == "short"


def test_a_long_audit_note_says_how_much_was_left_out():
    event = AuditEvent.model_validate({
        "id": 1, "request_id": 3, "actor": "U0ALICE", "action": "transition",
        "before_state": "awaiting_approval", "after_state": "rejected", "note": "no " * 400,
        "created_at": datetime(2026, 11, 2, tzinfo=UTC),
    })  # fmt: skip
    line = event_line(event, with_request=False)
    assert "more characters not shown" in line and "…" in line


def test_one_event_is_one_event():
    from bot.audit.trail import AuditPage, Subject
    from bot.audit.views import audit_blocks
    from tests.slack_emulator import blocks_text

    event = AuditEvent.model_validate({
        "id": 1, "request_id": 3, "actor": "U0ALICE", "action": "draft",
        "created_at": datetime(2026, 11, 2, tzinfo=UTC),
    })  # fmt: skip
    one = AuditPage(Subject("request", 3), [event], 0, 1, 1)
    text = blocks_text([b.to_dict() for b in audit_blocks(one)])
    assert "Page 1 of 1 · 1 event, oldest first" in text
    two = AuditPage(Subject("request", 3), [event, event], 0, 1, 2)
    assert "· 2 events," in blocks_text([b.to_dict() for b in audit_blocks(two)])


async def test_the_approve_dialog_says_who_may_approve_before_what_it_does(
    bot, slack, emulator
):
    """Everyone in the approvals channel gets the same dialog: it must not ask a person who
    may not approve to confirm something that cannot be undone."""
    from bot.core.ids import PipelineAction
    from tests.pipeline.scenario import approval_card, confirmed_cancellation

    await confirmed_cancellation(bot, slack, emulator)
    card = approval_card(emulator)
    [approve] = [e for b in card.blocks if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == PipelineAction.APPROVE]
    said = approve["confirm"]["text"]["text"]
    assert said.startswith("Only a support agent other than the requester can approve")
    assert said.index("Only a support agent") < said.index("cannot be undone")
