"""Terms in the seat and cancellation flows, end to end through the Slack emulator and the
sandbox: the windows count from the current term, and CSP_TERMS reaches the forms.

The clock stands on 1 December 2026, 10:00 UTC. Nordwind's ProPlus was bought 1100 days
earlier, on 27 November 2023: under a monthly term it renewed four days ago, so its
cancellation window and every seat's reduction window are open until 4 December 2026 — not
"closed since 4 December 2023", and not "at the renewal on 27 December"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.blocks import date_token
from bot.core.clock import FakeClock
from bot.core.ids import BlockId, CancelBlock, SeatsBlock, SubscriptionChoiceBlock
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3, NORDWIND_PROPLUS
from tests.flows.conftest import open_modal
from tests.slack_emulator import blocks_text

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
RENEWED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # four days ago
WEEK = timedelta(hours=168)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def facts_of(view: dict) -> str:
    return blocks_text([b for b in view["blocks"]
                        if b.get("block_id") == SubscriptionChoiceBlock.FACTS])


async def test_a_subscription_from_2023_is_in_the_window_its_new_term_opened(
    slack, emulator, sandbox, synced
):
    cancel = await open_modal(slack, emulator, f"/csp cancel nordwind {NORDWIND_PROPLUS}")
    facts = facts_of(cancel)
    assert "Cancellation window open until " + date_token(RENEWED + WEEK) in facts
    assert "closed" not in blocks_text(cancel["blocks"])
    # no "no refund" box: the window is open
    assert not any(str(b.get("block_id", "")).startswith(CancelBlock.ACKNOWLEDGE)
                   for b in cancel["blocks"])
    reply = await slack.submit(cancel, {
        BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_PROPLUS,
        CancelBlock.REASON: "not_needed", CancelBlock.DETAILS: "Nobody uses ProPlus any more.",
    })
    confirmation = blocks_text(reply.view["blocks"])
    assert "Cancellation window closes" in confirmation
    assert date_token(RENEWED + WEEK) in confirmation

    seats = await open_modal(slack, emulator, f"/csp seats nordwind {NORDWIND_PROPLUS}")
    assert "8 seats can be removed now (until " + date_token(RENEWED + WEEK) in facts_of(seats)
    reply = await slack.submit(seats, {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_PROPLUS,
                                       SeatsBlock.NEW_TOTAL: 6})
    assert reply.view is not None, reply.errors
    confirmation = blocks_text(reply.view["blocks"])
    assert "8 → *6*" in confirmation and date_token(RENEWED + WEEK) in confirmation
    assert sandbox.calls("changeQuantity") == []


async def test_mid_term_the_seat_form_says_when_the_subscription_renews(
    slack, emulator, synced
):
    # Office 365 E3, bought 410 days ago (17 October 2025): 14 days into its monthly term
    view = await open_modal(slack, emulator, f"/csp seats nordwind {NORDWIND_E3}")
    renews = datetime(2026, 12, 17, 10, 0, tzinfo=UTC)
    assert "The subscription renews " + date_token(renews) in facts_of(view)
    reply = await slack.submit(view, {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_E3,
                                      SeatsBlock.NEW_TOTAL: 10})
    assert reply.errors[SeatsBlock.NEW_TOTAL].endswith(
        "The other 2 can be removed when the subscription renews, on Thu 17 Dec 2026, "
        "10:00 UTC.")


async def test_csp_terms_give_a_licence_its_term(slack, emulator, settings, synced):
    settings.csp_terms = '{"Office 365 E3": "P1Y"}'
    view = await open_modal(slack, emulator, f"/csp seats nordwind {NORDWIND_E3}")
    reply = await slack.submit(view, {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_E3,
                                      SeatsBlock.NEW_TOTAL: 10})
    # a yearly term from 17 October 2025 renews on 17 October 2026, then 2027
    assert reply.errors[SeatsBlock.NEW_TOTAL].endswith(
        "renews, on Sun 17 Oct 2027, 10:00 UTC.")


async def test_an_annual_bill_is_refunded_over_its_year(slack, emulator, settings, synced):
    """Business Basic, 25 seats at 5.60 EUR, bought 2 days 3 hours ago: billed annually, the
    first invoice covers 12 months (1680.00 EUR) and 362 whole days of its 365 are left."""
    settings.csp_terms = '{"Microsoft 365 Business Basic": "P1Y/annual"}'
    form = await open_modal(slack, emulator, f"/csp cancel nordwind {NORDWIND_BASIC}")
    reply = await slack.submit(form, {
        BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_BASIC,
        CancelBlock.REASON: "not_needed", CancelBlock.DETAILS: "Bought by mistake.",
    })
    confirmation = blocks_text(reply.view["blocks"])
    assert "≈ 1,666.19 EUR if approved on" in confirmation
    assert "for its 12-month invoice" in confirmation


async def test_a_term_book_that_cannot_be_read_is_said_in_the_form(slack, emulator, settings,
                                                                    synced):
    settings.csp_terms = '{"Office 365 E3": "P2Y"}'
    reply = await slack.command(f"seats nordwind {NORDWIND_E3}")
    assert reply.status == 200
    assert "P2Y" in reply.text


async def test_the_listings_say_each_subscriptions_term_and_renewal(slack, synced):
    subs = await slack.command("subs nordwind")
    line = ("Term: 1-month term, billed monthly (assumed: OVHcloud publishes no term) · renews on "
            + date_token(RENEWED + timedelta(days=30), "{date_short_pretty}")
            + ", term started on " + date_token(RENEWED, "{date_short_pretty}"))
    assert line in subs.text, subs.text
    tenant = await slack.command("tenant nordwind")
    assert "*Terms and renewals*" in tenant.text
    assert f"({NORDWIND_PROPLUS}): 1-month term, billed monthly" in tenant.text
