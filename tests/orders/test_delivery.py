"""A new license group's order: which new group is the order's (`order_delivery.ours`), what
its status card and the requester's message say at each phase (bot/orders/new_group_view.py) —
escaping whatever OVHcloud returned — and the settings that shape the order (CSP_OVH_PLAN_CODES,
OVH_SUBSIDIARY, CSP_OVH_AUTO_PAY) reaching the provider."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.runtime import build_provider
from bot.core.clock import FakeClock
from bot.core.domain import (
    Request,
    RequestKind,
    RequestState,
    RequestStep,
    StepAction,
    StepState,
    Tenant,
)
from bot.orders import new_group_view as new_group
from bot.orders.delivery import ours
from bot.pipeline import cards
from bot.provider.ovh import OvhProvider
from tests.conftest import ALICE, make_settings
from tests.provider.test_orders import new_order

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ORDER = new_order()
ORDER.contact.email = "Sanne@Hollandse-Fietsen.nl"  # compared case-insensitively


def group(name: str, *, display: str = "", email: str = "", age: timedelta = timedelta(0)):
    return Tenant(service_name=name, display_name=display, email=email, creation_date=NOW - age)


# --- which new group is the order's ---------------------------------------------------------


def test_an_order_detail_naming_a_new_group_decides():
    found = [group("a", display="Hollandse Fietsen B.V."), group("b")]
    assert ours(found, ORDER, ["b"], NOW) == ["b"]


def test_else_display_name_and_email_decide_the_closest_wins():
    both = group("both", display=" hollandse fietsen b.v.", email="sanne@hollandse-fietsen.nl")
    one = group("one", email="sanne@hollandse-fietsen.nl")
    assert ours([one, both, group("other", display="Roma")], ORDER, [], NOW) == ["both"]
    assert ours([one, group("one too", display="Hollandse Fietsen B.V.")], ORDER, [], NOW) == [
        "one", "one too"
    ]  # fmt: skip


def test_nothing_made_before_the_order_nor_unlike_it_is_taken():
    old = group("old", display="Hollandse Fietsen B.V.", age=timedelta(hours=1))
    assert ours([old, group("stranger", display="Roma")], ORDER, [], NOW) == []
    clock_skew = group("skewed", display="Hollandse Fietsen B.V.", age=timedelta(minutes=1))
    assert ours([clock_skew], ORDER, [], NOW) == ["skewed"]


# --- the card and the message -------------------------------------------------------------------


def order_request(state: RequestState = RequestState.RUNNING) -> Request:
    return Request(
        id=7, kind=RequestKind.ORDER, state=state, requester=ALICE, summary="New group",
        payload={"lines": [{"license_id": 10021, "license_name": "Office 365 E3"}]},
        card_channel="C0STAFF", card_ts="1700000000.000100", created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def order_step(**result) -> RequestStep:
    base = {"phase": "waiting_payment", "order_id": 231000001,
            "url": "https://www.ovh.com/cgi-bin/order/display-order.cgi?orderId=231000001",
            "order_status": "notPaid"}  # fmt: skip
    return RequestStep(
        id=1, request_id=7, seq=1, action=StepAction.ORDER_TENANT,
        params={"order": ORDER.model_dump(mode="json")}, state=StepState.RUNNING,
        result={**base, **result},
    )  # fmt: skip


def shown(card: cards.Card) -> str:
    return json.dumps(card.blocks_json(), ensure_ascii=False) + card.text


def test_the_card_says_waiting_for_payment_with_the_orders_link():
    card = cards.status_card(order_request(), [order_step()], NOW)
    text = shown(card)
    assert card.text.endswith(": waiting for payment")
    assert ":credit_card: Waiting for payment" in text
    assert "<https://www.ovh.com/cgi-bin/order/display-order.cgi?orderId=231000001|open it" in text


def test_the_done_card_names_the_group_and_its_subscriptions():
    step = order_step(phase="delivered", order_status="delivered", service_name="csp2-x.o365.ovh",
                      subscriptions=[{"subscription_id": 480201, "license_id": 10021,
                                      "quantity": 2}])  # fmt: skip
    step = step.model_copy(update={"state": StepState.DONE})
    text = shown(cards.status_card(order_request(RequestState.DONE), [step], NOW))
    assert "`csp2-x.o365.ovh`" in text and "`480201` Office 365 E3 × 2" in text
    assert "Waiting for payment" not in text


def test_what_ovhcloud_returned_is_escaped_and_a_strange_url_is_no_link():
    step = order_step(url="javascript:alert(1)|<!channel>", order_status="<!here>",
                      phase="delivering")  # fmt: skip
    text = shown(cards.status_card(order_request(), [step], NOW))
    assert "<!channel>" not in text and "<!here>" not in text
    assert "javascript:alert(1)|&lt;!channel&gt;" in text and "<javascript" not in text
    endless = order_step(phase="creating", service_name="x" * 5000, url="https://" + "y" * 5000)
    assert len(shown(cards.status_card(order_request(), [endless], NOW))) < 5000  # still a card


def test_a_cancelled_order_no_longer_reads_as_waiting_for_payment():
    step = order_step(phase="cancelled", order_status="cancelled")
    step = step.model_copy(update={"state": StepState.FAILED})
    text = shown(cards.status_card(order_request(RequestState.FAILED), [step], NOW))
    assert "cancelled by OVHcloud" in text and "waiting for payment" not in text.lower()


def test_an_order_without_number_says_what_is_known():
    text = shown(cards.status_card(order_request(), [order_step(order_id=None, url=None,
                                                                phase="delivering",
                                                                order_status=None)], NOW))
    assert "OVHcloud gave it no number" in text and "pay it in the OVHcloud control panel" in text
    assert "the new license group is awaited" in text


def test_the_requester_is_told_where_to_pay():
    card = new_group.waiting_for_payment_news(order_request(), order_step().result)
    assert "waits for payment" in card.text and "order 231000001" in card.text
    assert "display-order.cgi?orderId=231000001|OVHcloud's order page>" in card.text
    no_link = new_group.waiting_for_payment_news(order_request(), {"order_id": None, "url": None})
    assert "the OVHcloud control panel" in no_link.text


# --- settings ---------------------------------------------------------------------------------


def test_plan_codes_come_inline_or_from_a_json_or_yaml_file(tmp_path, database_url):
    inline = make_settings(None, database_url, csp_ovh_plan_codes='{"10011": "csp2-a"}')
    assert inline.ovh_plan_codes() == {"10011": "csp2-a"}
    (tmp_path / "codes.yaml").write_text("10011: csp2-a\nOffice 365 E3: csp2-b\n")
    from_file = make_settings(None, database_url, csp_ovh_plan_codes=str(tmp_path / "codes.yaml"))
    assert from_file.ovh_plan_codes() == {"10011": "csp2-a", "Office 365 E3": "csp2-b"}
    assert make_settings(None, database_url).ovh_plan_codes() == {}


@pytest.mark.parametrize("raw", ['{"10011": ', "/no/such/file.yaml", '{"10011": ["a"]}', "[1]"])
def test_unreadable_plan_codes_are_refused_in_words(database_url, raw):
    with pytest.raises(ValueError, match="CSP_OVH_PLAN_CODES"):
        make_settings(None, database_url, csp_ovh_plan_codes=raw).ovh_plan_codes()


def test_the_order_settings_reach_either_provider(database_url):
    ovh = build_provider(make_settings(
        None, database_url, csp_provider="ovh", ovh_application_key="k",
        ovh_application_secret="s", ovh_consumer_key="c", ovh_subsidiary="NL",
        csp_ovh_plan_codes='{"10011": "csp2-a"}', csp_ovh_auto_pay=True,
    ), FakeClock())  # fmt: skip
    assert isinstance(ovh, OvhProvider)
    assert (ovh.ovh_subsidiary, ovh.plan_codes, ovh.auto_pay) == ("NL", {"10011": "csp2-a"}, True)
    sandbox = build_provider(make_settings(None, database_url, csp_ovh_auto_pay=True), FakeClock())
    assert sandbox.auto_pay is True
    default = build_provider(make_settings(None, database_url), FakeClock())
    assert default.auto_pay is False
