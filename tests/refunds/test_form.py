"""The refund modal's fields: each one read from `view.state.values`, each one checked with a
message a person can act on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.core.errors import FormErrors
from bot.core.ids import BlockId, RefundBlock
from bot.refunds.form import (
    Impact,
    RefundProduct,
    RefundReason,
    RefundTicket,
    clean_amount,
    clean_attachments,
    clean_customer_tenant,
    clean_email,
    clean_order_id,
    clean_phone,
    clean_reference,
    parse_refund_form,
)

B = RefundBlock
TODAY = date(2026, 11, 2)
FILE_LINK = "https://csp-reseller.slack.com/files/U0ALICE/F07ABC123/invoice.pdf"


def state(**overrides) -> dict:
    """`view.state.values` of a filled-in modal, as Slack sends it."""
    values = {
        B.CUSTOMER_TENANT: ("plain_text_input", "contoso.onmicrosoft.com"),
        B.ORDER_ID: ("plain_text_input", "b7c1d2e3f4a5"),
        B.PRODUCT: ("static_select", "perpetual"),
        B.PURCHASE_DATE: ("datepicker", "2026-10-20"),
        B.REASON: ("static_select", "wrong_product"),
        B.REASON_DETAILS: ("plain_text_input", "Standard instead of Professional."),
        B.AMOUNT: ("plain_text_input", "249.90"),
        B.CURRENCY: ("static_select", "EUR"),
        B.IMPACT: ("static_select", "moderate"),
        B.TITLE: ("plain_text_input", "Refund Office LTSC Standard 2024"),
        B.CONTACT_NAME: ("plain_text_input", "Alice Jansen"),
        B.CONTACT_EMAIL: ("email_text_input", "alice@reseller.example"),
        B.CONTACT_PHONE: ("plain_text_input", "+31 10 234 5678"),
        B.ATTACHMENTS: ("plain_text_input", None),
        B.ACKNOWLEDGE: ("checkboxes", []),
        BlockId.TENANT: ("external_select", None),
    }
    values.update(overrides)
    out: dict = {}
    for block, (kind, value) in values.items():
        element: dict = {"type": kind}
        if kind in ("static_select", "external_select"):
            element["selected_option"] = None if value is None else {"value": value}
        elif kind == "datepicker":
            element["selected_date"] = value
        elif kind == "checkboxes":
            element["selected_options"] = [{"value": v} for v in value]
        else:
            element["value"] = value
        out[block] = {"refund_field": element}
    return out


def test_a_complete_form_becomes_a_ticket():
    ticket = parse_refund_form(
        state(
            **{
                B.CUSTOMER_TENANT: ("plain_text_input", " {0F9E8D7C-6B5A-4F3E-9D2C-1B0A9F8E7D6C} "),
                B.AMOUNT: ("plain_text_input", "1 234,5"),
                B.ATTACHMENTS: ("plain_text_input", FILE_LINK + "\n\n"),
                B.ACKNOWLEDGE: ("checkboxes", ["yes"]),
                BlockId.TENANT: ("external_select", "csp2-cb2m8x.o365.ovh"),
            }
        ),
        TODAY,
    )
    assert ticket.customer_tenant == "0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"
    assert ticket.customer_tenant_is_guid
    assert ticket.product is RefundProduct.PERPETUAL
    assert ticket.purchased_on == date(2026, 10, 20)
    assert ticket.reason is RefundReason.WRONG_PRODUCT
    assert ticket.amount == Decimal("1234.50")
    assert ticket.amount_text == "1,234.50 EUR"
    assert ticket.impact is Impact.MODERATE
    assert ticket.attachments == [FILE_LINK]
    assert ticket.acknowledged_outside_window
    assert ticket.license_group == "csp2-cb2m8x.o365.ovh"
    assert ticket.reason_text == "Wrong product or edition: Standard instead of Professional."
    assert RefundTicket.from_payload(ticket.to_payload()) == ticket


def test_every_missing_field_is_named_next_to_its_block():
    kinds = {block: next(iter(v.values()))["type"] for block, v in state().items()}
    empty = state(**{b: (k, [] if k == "checkboxes" else None) for b, k in kinds.items()})
    with pytest.raises(FormErrors) as raised:
        parse_refund_form(empty, TODAY)
    assert set(raised.value.errors) == {
        B.CUSTOMER_TENANT, B.ORDER_ID, B.PRODUCT, B.PURCHASE_DATE, B.REASON, B.AMOUNT,
        B.CURRENCY, B.IMPACT, B.TITLE, B.CONTACT_NAME, B.CONTACT_EMAIL, B.CONTACT_PHONE,
    }
    assert raised.value.errors[B.ORDER_ID] == (
        "Give the order ID or the subscription ID of the purchase."
    )


@pytest.mark.parametrize(
    ("block", "kind", "value", "words"),
    [
        (B.CUSTOMER_TENANT, "plain_text_input", "contoso", "domain name such as"),
        (B.CUSTOMER_TENANT, "plain_text_input", "0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6", "8-4-4"),
        (B.CUSTOMER_TENANT, "plain_text_input", "admin@contoso.com", "email address"),
        (B.ORDER_ID, "plain_text_input", "order 42!", "letters, digits and hyphens"),
        (B.PRODUCT, "static_select", "hardware", "what was bought"),
        (B.PURCHASE_DATE, "datepicker", "2026-11-03", "in the future"),
        (B.REASON, "static_select", None, "reason"),
        (B.REASON_DETAILS, "plain_text_input", "x" * 2001, "2000 characters"),
        (B.AMOUNT, "plain_text_input", "-5", "more than zero"),
        (B.AMOUNT, "plain_text_input", "0", "more than zero"),
        (B.AMOUNT, "plain_text_input", "12.345", "two decimals"),
        (B.AMOUNT, "plain_text_input", "twelve", "as a number"),
        (B.CURRENCY, "static_select", "XBT", "listed currencies"),
        (B.IMPACT, "static_select", "apocalyptic", "impact"),
        (B.TITLE, "plain_text_input", "Hi", "at least 5"),
        (B.TITLE, "plain_text_input", "x" * 101, "100 characters"),
        (B.CONTACT_NAME, "plain_text_input", "A", "at least 2"),
        (B.CONTACT_EMAIL, "email_text_input", "alice@", "name@example.com"),
        (B.CONTACT_PHONE, "plain_text_input", "call me", "country code"),
        (B.ATTACHMENTS, "plain_text_input", "https://example.com/x.pdf", "not a link to a file"),
    ],
)
def test_each_bad_field_gets_its_own_message(block, kind, value, words):
    with pytest.raises(FormErrors) as raised:
        parse_refund_form(state(**{block: (kind, value)}), TODAY)
    assert set(raised.value.errors) == {block}
    assert words in raised.value.errors[block]


def test_other_needs_an_explanation():
    with pytest.raises(FormErrors) as raised:
        parse_refund_form(
            state(**{B.REASON: ("static_select", "other"),
                     B.REASON_DETAILS: ("plain_text_input", "because")}),
            TODAY,
        )
    assert set(raised.value.errors) == {B.REASON_DETAILS}
    ticket = parse_refund_form(
        state(**{B.REASON: ("static_select", "other"),
                 B.REASON_DETAILS: ("plain_text_input", "The customer closed the office.")}),
        TODAY,
    )
    assert ticket.reason_text == "The customer closed the office."


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Contoso.OnMicrosoft.com", "contoso.onmicrosoft.com"),
        ("https://contoso.onmicrosoft.com/", "contoso.onmicrosoft.com"),
        ("bäckerei.xn--p1ai", None),
        ("xn--bckerei-eza.de", "xn--bckerei-eza.de"),
        ("-contoso.com", None),
        ("contoso.c0m", None),
        ("0F9E8D7C-6B5A-4F3E-9D2C-1B0A9F8E7D6C", "0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"),
        ("0f9e8d7c6b5a4f3e9d2c1b0a9f8e7d6c", None),
    ],
)
def test_tenant_guid_or_domain(text, clean):
    if clean is None:
        with pytest.raises(ValueError):
            clean_customer_tenant(text)
    else:
        assert clean_customer_tenant(text) == clean


@pytest.mark.parametrize(
    ("text", "amount"),
    [("249.9", "249.90"), ("0.01", "0.01"), ("1,5", "1.50"), ("999999999.99", "999999999.99")],
)
def test_amounts(text, amount):
    assert clean_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["1,234.5.6", "NaN", "Infinity", "1e3.5", "1000000000"])
def test_bad_amounts(text):
    with pytest.raises(ValueError):
        clean_amount(text)


@pytest.mark.parametrize(
    ("ok", "text"),
    [
        (True, "+31.102345678"),
        (True, "(030) 234-5678"),
        (False, "12345"),
        (False, "+31 +10 2345678"),
        (False, "+1234567890123456"),
    ],
)
def test_phone_numbers(ok, text):
    if ok:
        assert clean_phone(text) == text
    else:
        with pytest.raises(ValueError):
            clean_phone(text)


def test_emails_and_order_ids():
    assert clean_email("femke.devries@nordwind-logistics.nl")
    for bad in ("femke", "femke@nordwind", "a b@c.de", "@x.nl"):
        with pytest.raises(ValueError):
            clean_email(bad)
    assert clean_order_id("1d2c3b4a-0000-4000-8000-123456789abc")
    with pytest.raises(ValueError):
        clean_order_id("x" * 65)


def test_attachments_are_slack_file_links_only():
    private = "https://files.slack.com/files-pri/T0CSP-F07ABC123/invoice.pdf"
    assert clean_attachments(f"{FILE_LINK}\n{private}") == [FILE_LINK, private]
    for bad in ("http://csp.slack.com/files/U0A/F0B/x", "https://slack.com.evil.io/files/U0A/F0B",
                "https://csp.slack.com/archives/C0STAFF/p1700000000"):
        with pytest.raises(ValueError):
            clean_attachments(bad)
    with pytest.raises(ValueError, match="at most 10"):
        clean_attachments("\n".join([FILE_LINK] * 11))


def test_upstream_references():
    assert clean_reference(" 2611020040001234 ") == "2611020040001234"
    for bad in ("", "a b", "x" * 65):
        with pytest.raises(ValueError):
            clean_reference(bad)
