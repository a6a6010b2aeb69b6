"""Seat changes end to end: `/csp seats` through the Slack emulator, the pipeline, the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.domain import RequestKind, RequestState
from bot.core.ids import (
    BlockId,
    HomeAction,
    OptionsAction,
    SeatsBlock,
    SubscriptionAction,
    SubscriptionChoiceBlock,
)
from bot.pipeline import transitions as pipeline
from bot.provider.sandbox_data import BUSINESS_BASIC, NORDWIND, NORDWIND_BASIC, NORDWIND_E3
from bot.tenants.subscription_choice import ChoiceRef
from store import cache
from store import requests as repo
from tests.conftest import ALICE, APPROVALS_CHANNEL, BOB, SAM, STAFF_CHANNEL
from tests.flows.conftest import latest_view, open_modal, over_http, settle
from tests.slack_emulator import Message, blocks_text

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"


def form_values(subscription: int, new_total, tenant: str = NORDWIND) -> dict:
    return {BlockId.TENANT: tenant, SUBSCRIPTION: subscription, SeatsBlock.NEW_TOTAL: new_total}


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def requests_of(bot) -> list:
    async with bot.runtime.db.session() as session:
        rows = await repo.recent_requests(session)
    return rows


async def quantity_in_cache(bot, subscription_id: int) -> int:
    async with bot.runtime.db.session() as session:
        return (await cache.get_subscription(session, subscription_id)).quantity


async def review(slack, emulator, text: str, values: dict, user: str = ALICE):
    """Opens the modal with `text`, submits `values`: the Slack reply (errors or the push)."""
    form = await open_modal(slack, emulator, text, user=user)
    return await slack.submit(form, values, user=user)


# --- the modal ----------------------------------------------------------------------------------


async def test_the_command_opens_the_modal_prefilled_from_the_cache(
    slack, emulator, sandbox, synced
):
    sandbox.clear_calls()
    view = await open_modal(slack, emulator, "/csp seats nordwind 480101 13")
    assert sandbox.call_log == []  # the modal came from the cache, not from OVHcloud
    assert view["callback_id"] == "seats_form"
    tenant = block(view, BlockId.TENANT)["element"]
    assert tenant["action_id"] == OptionsAction.TENANT
    assert tenant["initial_option"]["value"] == NORDWIND
    subscription = block(view, SUBSCRIPTION)["element"]
    assert subscription["action_id"] == OptionsAction.SUBSCRIPTION
    assert subscription["initial_option"]["value"] == str(NORDWIND_E3)
    assert block(view, SeatsBlock.NEW_TOTAL)["element"]["initial_value"] == "13"
    facts = blocks_text([block(view, SubscriptionChoiceBlock.FACTS)])
    assert "Office 365 E3" in facts and "12 seats" in facts
    assert "No seats can be removed now" in facts


async def test_unknown_names_open_the_modal_with_a_warning(slack, emulator, synced):
    view = await open_modal(slack, emulator, "/csp seats atlantis")
    assert "No license group matches “atlantis”" in blocks_text(view["blocks"])
    assert "initial_option" not in block(view, BlockId.TENANT)["element"]
    # a subscription id is unique: it names its own group, and the warning stays
    view = await open_modal(slack, emulator, "/csp seats atlantis 480101")
    assert "No license group matches “atlantis”" in blocks_text(view["blocks"])
    assert block(view, BlockId.TENANT)["element"]["initial_option"]["value"] == NORDWIND
    view = await open_modal(slack, emulator, "/csp seats nordwind 480111")  # Contoso's
    assert ("License group Nordwind Logistics B.V. has no subscription 480111."
            in blocks_text(view["blocks"]))


async def test_a_row_menu_and_app_home_open_the_modal(slack, emulator, bot, synced):
    listing = await slack.command("subs nordwind")
    message = Message(STAFF_CHANNEL, "1700000000.000100", "", listing.json["blocks"])
    await slack.action(SubscriptionAction.MENU, action_type="overflow", message=message,
                       selected=f"{SubscriptionAction.CHANGE_SEATS}:{NORDWIND_BASIC}")
    view = latest_view(emulator)
    assert ChoiceRef.load(view["private_metadata"]).channel == STAFF_CHANNEL  # for the card
    assert block(view, SUBSCRIPTION)["element"]["initial_option"]["value"] == str(NORDWIND_BASIC)
    assert "25 seats" in blocks_text([block(view, SubscriptionChoiceBlock.FACTS)])
    await slack.action(HomeAction.SEATS)
    view = latest_view(emulator)
    assert view["callback_id"] == "seats_form"
    assert "initial_option" not in block(view, SUBSCRIPTION)["element"]


async def test_choosing_a_subscription_or_a_group_rebuilds_the_modal(slack, emulator, synced):
    view = await open_modal(slack, emulator, "/csp seats nordwind")
    await slack.action(OptionsAction.SUBSCRIPTION, selected=str(NORDWIND_BASIC),
                       block_id=SUBSCRIPTION, view=view, action_type="external_select")
    update = emulator.calls_of("views.update")[-1]
    assert update["hash"] == view["hash"]  # never overwrites a newer version
    view = emulator.views[view["id"]]
    assert "Microsoft 365 Business Basic" in blocks_text(view["blocks"])
    assert "25 seats can be removed now" in blocks_text(view["blocks"])
    # another group: the subscription select starts over (a new block id)
    await slack.action(OptionsAction.TENANT, selected="csp2-cb2m8x.o365.ovh",
                       block_id=BlockId.TENANT, view=view, action_type="external_select")
    view = emulator.views[view["id"]]
    ids = [b.get("block_id") for b in view["blocks"]]
    assert f"{SubscriptionChoiceBlock.SUBSCRIPTION}.1" in ids and SUBSCRIPTION not in ids
    assert SubscriptionChoiceBlock.FACTS not in ids


# --- what the rule refuses, next to the field ---------------------------------------------------


async def test_bad_numbers_are_answered_next_to_the_field(slack, emulator, synced):
    for value in ("twelve", "2.5", ""):
        reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, value))
        assert "whole number" in reply.errors[SeatsBlock.NEW_TOTAL], value


async def test_the_same_number_is_refused(slack, emulator, bot, synced):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 12))
    assert reply.errors == {
        SeatsBlock.NEW_TOTAL: "Subscription 480101 already has 12 seats: enter a different total."
    }
    assert await requests_of(bot) == []  # not even a draft


async def test_over_the_limit_is_refused(slack, emulator, sandbox, synced):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_BASIC, 301))
    assert "limited to 300 seats" in reply.errors[SeatsBlock.NEW_TOTAL]
    assert "at most 300" in reply.errors[SeatsBlock.NEW_TOTAL]
    assert sandbox.calls("changeQuantity") == []


async def test_refused_while_a_task_is_pending(slack, emulator, sandbox, bot, synced):
    sandbox.task_duration = timedelta(hours=1)
    task = await sandbox.change_quantity(NORDWIND, NORDWIND_E3, 14)  # from the control panel
    await bot.runtime.syncer.sync_all()
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    assert reply.errors == {SUBSCRIPTION: (
        f"Subscription 480101 has a change in progress at OVHcloud (task {task.id}); try again "
        "when it is done."
    )}


async def test_refused_while_another_request_is_under_way(slack, emulator, bot, synced):
    first = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    await slack.submit(first.view)
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 14), user=BOB)
    assert "is still queued: wait for it" in reply.errors[SUBSCRIPTION]


async def test_a_request_under_way_is_found_however_busy_the_other_subscriptions_are(
    slack, emulator, bot, synced
):
    first = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    await slack.submit(first.view)
    (mine,) = await requests_of(bot)
    async with bot.runtime.db.transaction() as session:
        for n in range(1000):  # newer requests, all still open, on other subscriptions
            await repo.insert_request(
                session, kind=RequestKind.SEATS, state=RequestState.QUEUED, requester=BOB,
                tenant=NORDWIND, subscription_id=900000 + n, payload={}, summary=f"other {n}")

    view = await open_modal(slack, emulator, "/csp seats nordwind 480101", user=BOB)
    assert f"Request R{mine.id} is queued" in blocks_text(view["blocks"])
    reply = await slack.submit(view, form_values(NORDWIND_E3, 14), user=BOB)
    assert f"Request R{mine.id} on subscription 480101 is still queued" in (
        reply.errors[SUBSCRIPTION])


# --- increase, decrease, exactly once -----------------------------------------------------------


async def test_an_increase_is_confirmed_sent_tracked_and_recorded(slack, emulator, sandbox, bot,
                                                                   synced):
    reply = await review(slack, emulator, "/csp seats nordwind", form_values(NORDWIND_E3, 15))
    confirmation = blocks_text(reply.view["blocks"])
    assert reply.view["callback_id"] == "pipeline_confirm"
    assert "12 → *15*" in confirmation and "+3 seats" in confirmation
    assert "+66.00 EUR (264.00 EUR → 330.00 EUR)" in confirmation  # 22.00 EUR a seat
    assert "The 3 new seats can be removed again until" in confirmation
    assert "No approval is needed" in confirmation
    assert sandbox.calls("changeQuantity") == []  # nothing is sent before Confirm

    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    (request,) = await requests_of(bot)
    assert (request.kind, request.state) == (RequestKind.SEATS, RequestState.QUEUED)
    steps = await pipeline.load_steps(bot.runtime.db, request.id)
    assert [(s.action, s.params) for s in steps] == [
        ("change_quantity", {"quantity": 15, "previous_quantity": 12})
    ]
    card = emulator.last_message(STAFF_CHANNEL)
    assert f"R{request.id}" in card.all_text

    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == [{"quantity": 15}]
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.DONE
    assert await quantity_in_cache(bot, NORDWIND_E3) == 15
    assert "Done" in emulator.message(STAFF_CHANNEL, card.ts).all_text
    async with bot.runtime.db.session() as session:
        batches = await cache.seat_batches(session, NORDWIND_E3)
    assert [(b.seats, b.request_id) for b in batches if b.request_id] == [(3, request.id)]

    # the new batch is what makes a later decrease possible — three seats, not four
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 11))
    error = reply.errors[SeatsBlock.NEW_TOTAL]
    assert "Only 3 seats of subscription 480101 can be removed now (down to 12)" in error
    assert "The other 1 can be removed when the subscription renews, on" in error
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 12))
    assert reply.view["callback_id"] == "pipeline_confirm"


async def test_a_refusal_by_ovhcloud_reads_its_own_words_and_what_it_is_about(
    slack, emulator, sandbox, bot, synced
):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_BASIC, 27))
    # meanwhile OVHcloud closed the license to new seats: its own rule refuses the change
    sandbox.patch_license(NORDWIND, BUSINESS_BASIC, new_seats_allowed=False)
    await slack.submit(reply.view)
    await settle(bot.runtime)
    (request,) = await requests_of(bot)
    assert request.state == RequestState.FAILED
    said = ("New seats of Microsoft 365 Business Basic are no longer allowed. Check the new "
            "total, then prepare the request again.")
    card = emulator.message(request.card_channel, request.card_ts).all_text
    assert said in card
    if over_http(bot):
        assert request.error_query_id.startswith("EU.sandbox-")
        assert request.error_query_id in card
    assert said in emulator.last_message(f"D{ALICE}").all_text


async def test_a_task_started_elsewhere_meanwhile_is_ovhclouds_409_in_words(
    slack, emulator, sandbox, bot, synced
):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    sandbox.task_duration = timedelta(hours=1)
    task = await sandbox.change_quantity(NORDWIND, NORDWIND_E3, 12)  # the control panel
    await slack.submit(reply.view)
    await settle(bot.runtime)
    (request,) = await requests_of(bot)
    assert request.state == RequestState.FAILED
    assert request.error == (f"A task ({task.id}) is already pending on subscription 480101. "
                             "OVHcloud is busy with the subscription; Retry once its task is "
                             "done.")
    assert sandbox.calls("changeQuantity") == [{"quantity": 12}, {"quantity": 13}]


async def test_a_decrease_inside_the_window(slack, emulator, sandbox, bot, synced):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_BASIC, 20))
    confirmation = blocks_text(reply.view["blocks"])
    assert "25 → *20*" in confirmation and "−5 seats" in confirmation
    assert "\u221228.00 EUR (140.00 EUR → 112.00 EUR)" in confirmation  # 5.60 EUR a seat
    assert "Microsoft credits the 5 removed seats pro rata" in confirmation
    assert "Seats removable until" in confirmation and "<!date^" in confirmation
    await slack.submit(reply.view)
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == [{"quantity": 20}]
    assert await quantity_in_cache(bot, NORDWIND_BASIC) == 20


async def test_a_decrease_outside_the_window_is_refused_with_the_dates(slack, emulator, sandbox,
                                                                       synced):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 10))
    assert reply.errors[SeatsBlock.NEW_TOTAL] == (
        "No seats of subscription 480101 can be removed now: Microsoft lets seats go only "
        "within 7 days of when they were added or of the start of a term. The other 2 can "
        "be removed when the subscription renews, on Wed 18 Nov 2026, 09:00 UTC."
    )
    assert sandbox.calls("changeQuantity") == []


async def test_a_large_decrease_needs_approval_when_configured(slack, emulator, sandbox, bot,
                                                               synced, agents):
    bot.runtime.settings.csp_seat_decrease_approval_seats = 3
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_BASIC, 21))
    assert "must approve this decrease" in blocks_text(reply.view["blocks"])
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    (request,) = await requests_of(bot)
    assert request.state == RequestState.AWAITING_APPROVAL
    assert request.deadline is not None
    card = emulator.last_message(APPROVALS_CHANNEL)
    await slack.action("pipeline_approve", value=str(request.id), user=SAM, message=card)
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == [{"quantity": 21}]


async def test_a_double_confirm_sends_exactly_one_change(slack, emulator, sandbox, bot, synced):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_BASIC, 30))
    answers = await asyncio.gather(slack.submit(reply.view), slack.submit(reply.view))
    assert sorted(a.status for a in answers) == [200, 200]
    assert sum("already submitted" in a.body for a in answers) == 1
    await asyncio.gather(settle(bot.runtime), settle(bot.runtime))
    assert sandbox.calls("changeQuantity") == [{"quantity": 30}]
    assert [r.state for r in await requests_of(bot)] == [RequestState.DONE]


async def test_two_changes_prepared_on_the_same_count_send_only_the_first(
    slack, emulator, sandbox, bot, synced
):
    # Both forms are submitted while the subscription has 12 seats: two drafts, on one count.
    alices = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    bobs = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 15), user=BOB)
    await slack.submit(alices.view)
    await slack.submit(bobs.view, user=BOB)
    await settle(bot.runtime)

    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]  # 15 was never sent
    assert (await sandbox.get_subscription(NORDWIND, NORDWIND_E3)).quantity == 13
    first, second = sorted(await requests_of(bot), key=lambda r: r.id)
    assert (first.requester, first.state) == (ALICE, RequestState.DONE)
    assert (second.requester, second.state) == (BOB, RequestState.FAILED)
    stale = ("The subscription has 13 seats now, not 12 as when this change was prepared: "
             "prepare it again. Nothing was sent to OVHcloud.")
    assert second.error == stale
    card = next(m for m in emulator.messages[STAFF_CHANNEL] if f"R{second.id} ·" in m.all_text)
    assert "Failed" in card.all_text and "has 13 seats now, not 12" in card.all_text
    assert "has 13 seats now, not 12" in emulator.last_message(f"D{BOB}").all_text
    async with bot.runtime.db.session() as session:
        batches = await cache.seat_batches(session, NORDWIND_E3)
    assert [(b.seats, b.request_id) for b in batches if b.request_id] == [(1, first.id)]

    # Retrying does not make it right: the count it was prepared on is gone for good.
    await slack.action("pipeline_retry", value=str(second.id), user=BOB, message=card)
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert (await pipeline.load(bot.runtime.db, second.id)).error == stale


async def test_the_subscription_typeahead_offers_the_chosen_groups_subscriptions(
    slack, emulator, synced
):
    view = await open_modal(slack, emulator, "/csp seats")
    chosen = {**view, "state": {"values": {BlockId.TENANT: {OptionsAction.TENANT: {
        "type": "external_select", "selected_option": {"value": NORDWIND}}}}}}
    reply = await slack.suggest(OptionsAction.SUBSCRIPTION, "basic", block_id=SUBSCRIPTION,
                                view=chosen)
    assert [o["value"] for o in reply.json["options"]] == [str(NORDWIND_BASIC)]
    reply = await slack.suggest(OptionsAction.SUBSCRIPTION, "basic", block_id=SUBSCRIPTION,
                                view=view)  # no group yet: every group's Business Basic
    assert len(reply.json["options"]) > 1


async def test_from_app_home_the_status_card_goes_to_the_requesters_dm(slack, emulator, sandbox,
                                                                        bot, synced):
    await slack.action(HomeAction.SEATS)
    reply = await slack.submit(latest_view(emulator), form_values(NORDWIND_BASIC, 26))
    await slack.submit(reply.view)
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == [{"quantity": 26}]
    card, news = emulator.messages[f"D{ALICE}"]
    assert "25 → *26*" in card.all_text and "Done" in card.all_text
    assert "is done" in news.text
