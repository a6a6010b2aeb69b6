"""Reading Partner Center leniently, writing it strictly; its error bodies; the deadline rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.partner_center import errors
from bot.partner_center.catalog import Availability, CatalogItemId, choose_availability
from bot.partner_center.orders import CheckoutResult, Order, OrderStatus
from bot.partner_center.software import Entitlement, Subscription, SubscriptionStatus
from bot.partner_center.windows import can_cancel, cancellation_deadline


def test_unknown_values_are_kept_and_known_ones_matched_loosely() -> None:
    order = Order.model_validate(
        {
            "id": "5cf72f146967",
            "status": "Pending Review",
            "billingCycle": "quadrennial",
            "creationDate": "2021-09-14T10:00:00",
            "lineItems": [{"lineItemNumber": 0, "offerId": "A:B:C", "someNewField": [1]}],
            "brandNewField": {"x": 1},
        }
    )
    assert order.status == OrderStatus.PENDING_REVIEW
    assert order.billing_cycle == "quadrennial"  # unknown: kept as it came
    assert order.creation_date == datetime(2021, 9, 14, 10, tzinfo=UTC)  # zone-less is UTC
    wire = order.to_wire()
    assert wire["brandNewField"] == {"x": 1} and wire["lineItems"][0]["someNewField"] == [1]
    assert wire["creationDate"] == "2021-09-14T10:00:00Z" and wire["status"] == "pending_review"
    assert Order.model_validate({"id": "x", "status": "PENDING_PO_UPLOAD"}).status == (
        OrderStatus.PENDING_PO_UPLOAD
    )
    assert Order.model_validate({"id": "x", "status": "po review rejected"}).status == (
        OrderStatus.PO_REVIEW_REJECTED
    )


def test_missing_and_odd_fields_are_tolerated() -> None:
    sub = Subscription.model_validate(
        {"id": "s", "commitmentEndDate": "0001-01-01T00:00:00", "cancellationAllowedUntilDate":
         "not a date", "status": None}
    )  # fmt: skip
    assert sub.commitment_end_date is None and sub.cancellation_allowed_until_date is None
    assert sub.status is None and not sub.is_software
    assert CheckoutResult.model_validate({}).orders == []
    result = CheckoutResult.model_validate(
        {"orders": [], "orderErrors": [{"orderGroupId": 1, "code": "10009"}]}
    )
    assert result.order_errors[0].code == 10009 and result.order_errors[0].order_group_id == "1"


def test_entitlements_nest_and_keep_unknown_artifacts() -> None:
    entitlement = Entitlement.model_validate(
        {
            "referenceOrder": {"id": "o", "lineItemId": 0},
            "entitlementType": "software",
            "entitledArtifacts": [{"artifactType": "somethingNew", "extra": True}],
            "includedEntitlements": [{"productId": "P", "includedEntitlements": []}],
            "fulfillmentState": "Fulfilled",
        }
    )
    assert entitlement.reference_order.line_item_id == "0"
    assert entitlement.included_entitlements[0].product_id == "P"
    assert entitlement.entitled_artifacts[0].to_wire() == {
        "artifactType": "somethingNew",
        "extra": True,
    }


def test_catalog_item_ids_and_the_availability_to_buy() -> None:
    assert str(CatalogItemId.parse("DG7GMGF0FKZV:0003:DG7GMGF0DWMS")) == (
        "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"
    )
    with pytest.raises(ValueError):
        CatalogItemId.parse("DG7GMGF0FKZV:0003")
    offers = [
        Availability.model_validate(a)
        for a in (
            {"id": "A", "segment": "education", "terms": [{"duration": "P3Y"}]},
            {"id": "B", "segment": "commercial", "isPurchasable": False,
             "terms": [{"duration": "P3Y"}]},
            {"id": "C", "segment": "Commercial", "terms": [{"duration": "P3Y"}]},
        )
    ]  # fmt: skip
    assert choose_availability(offers, "P3Y").id == "C"
    assert choose_availability(offers, "P1Y") is None


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (400, '{"code":900117,"description":"30-day window","source":"PartnerFD"}',
         errors.WindowPassed, 900117),
        (400, '{"code":"900213","description":"168-hour window"}', errors.WindowPassed, 900213),
        (409, '{"code":800014}', errors.Busy, 800014),
        (403, '{"code":900308}', errors.RoleRefused, 900308),
        (403, '{"code":"800019"}', errors.WrongCancelPath, 800019),
        (400, '{"code":800061}', errors.WrongCancelPath, 800061),
        (404, '{"code":20000}', errors.UnknownOrder, 20000),
        (404, '{"code":400019}', errors.StaleCatalogItem, 400019),
        (401, '{"code":900421}', errors.MfaRequired, 900421),
        (403, '{"code":900329}', errors.AppOnlyRefused, 900329),
        (404, "", errors.NotFound, None),
        (502, "<html>bad gateway</html>", errors.ServerError, None),
        (403, '{"code":"ABC"}', errors.Forbidden, "ABC"),
    ],
)  # fmt: skip
def test_error_answers_become_typed_errors(status, body, expected, code) -> None:
    headers = {"MS-CorrelationId": "corr-1", "MS-RequestId": "req-1"}
    err = errors.error_from_answer(status, body, headers)
    assert type(err) is expected and err.code == code and err.status == status
    assert err.correlation_id == "corr-1" and err.request_id == "req-1"
    assert "MS-CorrelationId corr-1" in str(err) and "MS-RequestId req-1" in str(err)


def test_the_odd_429_body_gives_its_wait_even_without_the_header() -> None:
    body = '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 57 seconds."}'
    err = errors.error_from_answer(429, body, {})
    assert isinstance(err, errors.RateLimited) and err.retry_after == 57
    assert errors.error_from_answer(429, body, {"Retry-After": "3"}).retry_after == 3
    assert errors.error_body(err) == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 57 seconds.",
    }


def test_the_deadline_of_perpetual_and_subscription_lines() -> None:
    bought = datetime(2026, 10, 1, 12, tzinfo=UTC)
    order = Order.model_validate(
        {"id": "o", "creationDate": bought.isoformat(),
         "lineItems": [{"lineItemNumber": 0, "offerId": "P:S:A", "quantity": 1},
                       {"lineItemNumber": 1, "offerId": "Q:S:A", "quantity": 1,
                        "termDuration": "P3Y", "subscriptionId": "sub"}]}
    )  # fmt: skip
    perpetual, subscription_line = order.line_items
    window = timedelta(days=30)
    deadline = cancellation_deadline(order, perpetual, None, window)
    assert deadline == bought + window
    assert can_cancel(deadline, bought + window) and not can_cancel(deadline, deadline + window)
    sub = Subscription(id="sub", cancellation_allowed_until_date=bought + timedelta(days=7))
    assert cancellation_deadline(order, subscription_line, sub, window) == bought + timedelta(7)
    # a subscription line whose subscription is not known yet has no deadline, and no yes
    assert cancellation_deadline(order, subscription_line, None, window) is None
    assert not can_cancel(None, bought)
    assert SubscriptionStatus("deleted") is SubscriptionStatus.DELETED
