"""Who may cancel software, and until when (bot/policy/software.py), and the offers the buy
form is made of (bot/software/catalogue.py): table-driven, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import Role
from bot.policy.software import may_take_key_route, software_cancellation
from bot.software.catalogue import CatalogueItem, Offer, SoftwareKind
from bot.software.purchases import Purchase, PurchaseRef

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
AGENT = {Role.STAFF, Role.ADMIN_AGENT}
STAFF = {Role.STAFF}


def purchase(*, until: datetime | None, quantity: int = 1, status: str = "completed",
             term: str | None = None) -> Purchase:
    return Purchase(PurchaseRef("t", "o", 0), "BizTalk", "P:S:A", quantity, term, None, status,
                    None, None, NOW - timedelta(days=3), until, None, None)


@pytest.mark.parametrize(
    ("until", "quantity", "roles", "allowed", "words", "refund"),
    [
        (NOW + timedelta(days=1), 1, AGENT, True, "", False),
        (NOW, 1, AGENT, True, "", False),  # the last moment still counts
        (NOW + timedelta(days=1), 1, STAFF, False, "Only an admin agent", False),
        (NOW - timedelta(seconds=1), 1, AGENT, False, "window closed", True),
        (NOW - timedelta(days=9), 1, STAFF, False, "refund ticket", True),
        (None, 1, AGENT, False, "not given this purchase its cancellation date", False),
        (NOW + timedelta(days=1), 0, AGENT, False, "cancelled already", False),
    ],
)
def test_software_cancellation(until, quantity, roles, allowed, words, refund):
    decision = software_cancellation(purchase(until=until, quantity=quantity), roles, NOW)
    assert decision.allowed is allowed
    assert words in decision.reason
    assert decision.refund is refund
    if allowed:
        assert decision.deadline == until and decision.needs_approval


def test_the_key_route_needs_the_admin_agent_role():
    assert may_take_key_route(AGENT).allowed
    assert not may_take_key_route({Role.STAFF, Role.SUPPORT, Role.ADMIN}).allowed


def test_offers_of_a_sku_and_their_values():
    sub = CatalogueItem("P", "000P", "RDS", "RDS User CAL 3 year", SoftwareKind.SUBSCRIPTION,
                        ("P3Y",), ("monthly", "annual", "triennial"), 1, 5000)
    assert [o.billing_cycle for o in sub.offers()] == ["monthly", "annual", "triennial"]
    perpetual = CatalogueItem("B", "0002", "BizTalk", "BizTalk Branch", SoftwareKind.PERPETUAL,
                              (), ("one_time",), 1, 100)
    (once,) = perpetual.offers()
    assert once == Offer("B", "0002", None, "one_time") == Offer.parse(once.value)
    assert Offer.parse("B:0002::") is None and Offer.parse("a:b:c") is None
    assert perpetual.quantity_problem(101) == "Between 1 and 100 for this SKU."
    assert perpetual.quantity_problem(100) is None
    long = CatalogueItem("P", "0003", "SQL", "S" * 90, SoftwareKind.SUBSCRIPTION, ("P3Y",),
                         ("annual",))
    label = long.label(long.offers()[0])
    assert len(label) <= 75 and label.endswith("3 years, billed yearly")


def test_a_purchase_reference_carries_ids_only_and_bounded():
    ref = PurchaseRef("5b0d3c1e-7f42-4a8e-9d61-2c8f4e7a9b10", "2y6dF_rVgDAXMxyp", 3)
    assert PurchaseRef.loads(ref.dumps()) == ref
    for bad in ("", "a|b", "a|b|x", "a|b|-1", "a|" + "o" * 65 + "|0", "a|b|12345"):
        assert PurchaseRef.loads(bad) is None, bad
