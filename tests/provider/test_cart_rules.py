"""The pure rules of the order cart: how each required configuration is filled by its type
(`cart_config`), and which catalogue shape and plan codes carry an order (`cart_catalogue`).
The contract tests (test_orders.py) drive them through both backends; these pin each rule."""

from __future__ import annotations

import pytest

from bot.provider.base import BadParameters
from bot.provider.cart_catalogue import (
    MAX_PROBED_OFFERS,
    Offer,
    choose,
    group_offer_candidates,
    plan_code_map,
)
from bot.provider.cart_config import Fill, Gap, Requirement, contact_body, fill, plan
from tests.provider.test_orders import new_order

ORDER = new_order(subdomain=None)  # Hollandse Fietsen: Business Standard and Office 365 E3


def req(label: str, type_: str | None = "String", required: bool = True, fields=None):
    return Requirement.model_validate(
        {"label": label, "type": type_, "required": required, "fields": fields}
    )


# --- configuration by type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (req("MPN ID"), Fill("MPN ID", value="6180342")),
        (req("mpnId", "Integer"), Fill("mpnId", value="6180342")),
        (req("partnerId", "long"), Fill("partnerId", value="6180342")),
        (req("email"), Fill("email", value="sanne@hollandse-fietsen.nl")),
        (req("company_name", None), Fill("company_name", value="Hollandse Fietsen B.V.")),
        (req("customSubdomain", "Boolean"), Fill("customSubdomain", value="false")),
        (req("subdomain", required=False), None),
        (req("tenant GUID", required=False), None),
        (req("billing", "/me/billingAccount", required=False), None),
    ],
)
def test_simple_labels_are_filled_by_type(requirement, expected):
    assert fill(ORDER, requirement) == expected


def test_a_boolean_about_an_optional_fact_says_whether_it_is_given():
    given = ORDER.model_copy(update={"subdomain": "hollandsefietsen"})
    assert fill(given, req("customSubdomain", "Boolean")).value == "true"
    assert fill(given, req("subdomain")).value == "hollandsefietsen"


@pytest.mark.parametrize(
    ("requirement", "reason"),
    [
        (req("subdomain"), "the order gives no subdomain"),
        (req("zipCode", "Integer"), "a whole number, and the order's postcode is not one"),
        (req("email", "Boolean"), "of type Boolean, which the bot cannot give"),
        (req("startDate", "Date"), "the order form does not ask for it"),
        (req("Microsoft tenant GUID"), "the order form does not ask for it"),
        (req("billing", "/me/billingAccount"), "a /me/billingAccount resource"),
    ],
)
def test_required_labels_the_order_cannot_fill_say_why(requirement, reason):
    gap = fill(ORDER, requirement)
    assert isinstance(gap, Gap) and reason in gap.reason
    assert str(gap).startswith(f"“{requirement.label}” (")


def test_a_contact_label_creates_the_customer_as_a_me_contact():
    found = fill(ORDER, req("ADMIN_CONTACT", "/me/contact", fields=["firstName", "address.zip"]))
    assert isinstance(found, Fill) and found.value is None
    assert found.contact == {
        "firstName": "Sanne", "lastName": "Jansen", "email": "sanne@hollandse-fietsen.nl",
        "phone": "+31.201234567",
        "address": {"line1": "Prinsengracht 12", "city": "Amsterdam", "zip": "1015 DV",
                    "country": "NL"},
        "language": "nl_NL", "legalForm": "corporation",
        "organisationName": "Hollandse Fietsen B.V.",
    }  # fmt: skip


def test_a_contact_asking_for_fields_the_form_does_not_collect_is_a_gap():
    gap = fill(ORDER, req("owner", "/me/contact/", fields=["lastName", "vat", "address.province"]))
    assert isinstance(gap, Gap) and "vat, address.province" in gap.reason


@pytest.mark.parametrize(
    ("country", "language"), [("FR", "fr_FR"), ("be", "fr_FR"), ("AT", "de_DE"), ("JP", "en_GB")]
)
def test_a_contacts_language_follows_the_country(country, language):
    order = ORDER.model_copy(update={"contact": ORDER.contact.model_copy(
        update={"country": country})})  # fmt: skip
    assert contact_body(order)[0]["language"] == language


def test_each_label_is_planned_once_and_every_gap_reported():
    fills, gaps = plan(ORDER, [req("mpnId"), req("mpnId"), req("GUID"), req("vatNumber")])
    assert [f.label for f in fills] == ["mpnId"]
    assert [g.label for g in gaps] == ["GUID", "vatNumber"]


# --- the catalogue ----------------------------------------------------------------------------

NAMES = {10011: "Microsoft 365 Business Standard", 10021: "Office 365 E3"}
STANDARD = Offer("csp2-m365-business-standard", "Microsoft 365 Business Standard")
E3 = Offer("csp2-o365-e3", "Office 365 E3")
GROUP = Offer("csp2-license-group", "Microsoft 365 license group")


def test_licences_as_options_of_a_group_offer_make_one_main_item():
    made = choose(ORDER.licenses, [GROUP], {GROUP.plan_code: [STANDARD, E3]}, NAMES, {})
    assert made.main == GROUP
    assert [(line.license_id, o.plan_code) for line, o in made.lines] == [
        (10011, STANDARD.plan_code), (10021, E3.plan_code)
    ]  # fmt: skip


def test_licences_as_offers_of_their_own_make_one_item_each():
    made = choose(ORDER.licenses, [STANDARD, E3], {}, NAMES, {})
    assert made.main is None and [o for _, o in made.lines] == [STANDARD, E3]


def test_a_plan_code_holding_the_licence_id_is_recognised():
    coded = [Offer("csp2-10011-monthly", "Standard"), Offer("csp2-10021-monthly", "E3")]
    assert [o for _, o in choose(ORDER.licenses, coded, {}, {}, {}).lines] == coded


def test_the_operator_map_wins_by_id_or_by_name():
    odd = [Offer("M365-BSTD-P1M", "M365 BSTD"), Offer("O365-E3-P1M", "O365 E3")]
    codes = plan_code_map({" 10011 ": "M365-BSTD-P1M", "office 365 e3": "O365-E3-P1M"})
    made = choose(ORDER.licenses, odd, {}, NAMES, codes)
    assert [o.plan_code for _, o in made.lines] == ["M365-BSTD-P1M", "O365-E3-P1M"]


def test_licences_no_offer_sells_are_named_with_the_codes_seen():
    with pytest.raises(BadParameters) as refused:
        choose(ORDER.licenses, [GROUP], {GROUP.plan_code: [STANDARD]}, NAMES, {})
    message = refused.value.message
    assert "10021 (Office 365 E3)" in message and "10011" not in message.split(";")[0]
    assert "csp2-license-group, csp2-m365-business-standard" in message
    assert "CSP_OVH_PLAN_CODES" in message


def test_only_offers_no_licence_maps_to_are_probed_for_options():
    many = [STANDARD, *(Offer(f"csp2-other-{i}", f"Other {i}") for i in range(12))]
    probed = group_offer_candidates(many, ORDER.licenses, NAMES, {})
    assert STANDARD not in probed and len(probed) == MAX_PROBED_OFFERS


def test_an_offer_is_ordered_monthly_in_the_default_pricing_mode_when_offered():
    offer = Offer.from_wire({
        "planCode": "csp2-o365-e3", "productName": "Office 365 E3",
        "prices": [{"duration": "P1Y", "pricingMode": "upfront12"},
                   {"duration": "P1Y", "pricingMode": "default"},
                   {"duration": "P1M", "pricingMode": "default"}],
    })  # fmt: skip
    assert (offer.duration, offer.pricing_mode) == ("P1M", "default")
    assert Offer.from_wire({"productName": "no plan code"}) is None
    assert Offer.from_wire({"planCode": "x"}).item(3) == {
        "planCode": "x", "duration": "P1M", "pricingMode": "default", "quantity": 3
    }  # fmt: skip
