"""The operator's settings shape an order: the price book named in CSP_PRICE_BOOK (CSV here),
the approval thresholds, and the approval deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.domain import RequestState
from bot.core.ids import BlockId
from bot.orders.form import LineField, line_block
from bot.provider.sandbox_data import BUSINESS_BASIC, NORDWIND, OFFICE_E3
from tests.conftest import make_settings
from tests.flows.conftest import open_modal
from tests.flows.test_orders import confirm, review
from tests.slack_emulator import blocks_text


@pytest.fixture
def settings(emulator, database_url, tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text("license,monthly_price,currency\nOffice 365 E3,25.00,CHF\n", "utf-8")
    return make_settings(
        emulator,
        database_url,
        csp_price_book=str(prices),
        csp_order_approval_seats=5,
        csp_order_approval_monthly_amount=100,
        csp_order_approval_hours=48,
    )


def one_line(license_id: int, quantity: str) -> dict:
    return {
        BlockId.TENANT: NORDWIND,
        line_block(LineField.LICENSE, "1"): license_id,
        line_block(LineField.QUANTITY, "1"): quantity,
    }


async def test_prices_thresholds_and_deadline_come_from_the_settings(
    slack, emulator, bot, clock, synced
):
    modal = await open_modal(slack, emulator, "order nordwind")
    reply = await review(slack, modal, one_line(OFFICE_E3, "6"))
    shown = blocks_text(reply.view["blocks"])
    assert "25.00 CHF per license · 150.00 CHF a month" in shown
    assert "6 licenses (more than 5) and 150.00 CHF a month (more than 100.00 CHF)" in shown
    assert "Approval deadline" in shown
    request = await confirm(slack, bot, reply)
    assert request.state is RequestState.AWAITING_APPROVAL
    assert request.deadline == clock.now() + timedelta(hours=48)


async def test_an_unpriced_license_says_so_and_is_not_guessed(slack, emulator, bot, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    reply = await review(slack, modal, one_line(BUSINESS_BASIC, "2"))
    shown = blocks_text(reply.view["blocks"])
    assert "price not configured per license · price not configured a month" in shown
    assert "1 line has no price in the price book" in shown
    request = await confirm(slack, bot, reply)
    assert request.state is RequestState.QUEUED and not request.needs_approval
