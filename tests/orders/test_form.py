"""The order form, its rules and its views, without Slack: parsing, field errors, line keys,
what is offered where, what is kept when the modal changes, and the confirmation's words."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot import policy
from bot.core.domain import LicenceType, License
from bot.core.errors import FormErrors
from bot.core.ids import BlockId, OrderBlock
from bot.orders.choices import Catalogue, GroupChoices, prefill_lines
from bot.orders.confirmation_view import order_confirmation
from bot.orders.form import (
    MAX_LINES,
    LineField,
    NewGroupOrderForm,
    OrderMeta,
    OrderMode,
    line_block,
    parse_order_form,
)
from bot.orders.plans import OrderPlan, PricedLine
from bot.orders.views import country_groups, order_modal
from bot.reference.countries import COUNTRIES
from bot.reference.pricing import Money, PriceBook
from bot.slack.state import ViewState
from store.cache import CachedSubscription, CachedTenant

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
E3 = License(id=10021, name="Office 365 E3")
BASIC = License(id=10010, name="Microsoft 365 Business Basic", limit=300)
APPS = License(id=10031, name="Microsoft 365 Apps for business", new_subscriptions_allowed=False)
AUDIO = License(id=10040, name="Teams Audio Conferencing", licence_type=LicenceType.ADDON)


def text(value: str | None) -> dict:
    return {"a": {"type": "plain_text_input", "value": value}}


def choice(value: str | None) -> dict:
    option = (
        None if value is None else {"value": value, "text": {"type": "plain_text", "text": value}}
    )
    return {"a": {"type": "static_select", "selected_option": option}}


def line(
    key: str,
    license_id: int | None,
    quantity: str | None,
    parent: int | None = None,
    with_parent: bool = False,
) -> dict:
    values = {
        line_block(LineField.LICENSE, key): choice(None if license_id is None else str(license_id)),
        line_block(LineField.QUANTITY, key): text(quantity),
    }
    if with_parent or parent is not None:
        values[line_block(LineField.PARENT, key)] = choice(None if parent is None else str(parent))
    return values


def existing(*lines: dict, tenant: str | None = "csp2-nw7k3q.o365.ovh") -> dict:
    values = {BlockId.TENANT.value: choice(tenant), OrderBlock.NOTE.value: text(None)}
    for item in lines:
        values.update(item)
    return values


def meta(*keys: str, mode: OrderMode = OrderMode.EXISTING) -> OrderMeta:
    keys = keys or ("1",)
    return OrderMeta(mode=mode, lines=list(keys), next_key=max(int(k) for k in keys) + 1)


def errors_of(values: dict, form_meta: OrderMeta) -> dict[str, str]:
    with pytest.raises(FormErrors) as caught:
        parse_order_form(values, form_meta)
    return caught.value.errors


# --- quantities ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("0", "at least 1"),
        ("-3", "can't be negative"),
        ("ten", "whole number"),
        ("2.5", "whole number"),
        ("", "how many"),
        ("1000000", "more licenses than"),
    ],
)
def test_a_bad_quantity_is_answered_next_to_its_line(raw, words):
    errors = errors_of(existing(line("1", 10021, "3"), line("2", 10010, raw)), meta("1", "2"))
    assert list(errors) == [line_block(LineField.QUANTITY, "2")]
    assert words in errors[line_block(LineField.QUANTITY, "2")]


def test_good_lines_parse_in_the_order_they_are_shown():
    form = parse_order_form(
        existing(line("3", 10021, " 5 "), line("1", 10010, "+2")), meta("3", "1")
    )
    assert [(x.key, x.number, x.license_id, x.quantity) for x in form.lines] == [
        ("3", 1, 10021, 5),
        ("1", 2, 10010, 2),
    ]
    assert form.tenant == "csp2-nw7k3q.o365.ovh" and form.note is None


def test_a_line_without_a_license_and_a_missing_group_are_named():
    errors = errors_of(existing(line("1", None, "4"), tenant=None), meta("1"))
    assert errors == {
        line_block(LineField.LICENSE, "1"): "Choose a license, or remove this line.",
        BlockId.TENANT: "Choose the license group.",
    }


def test_the_same_license_twice_is_refused_on_the_second_line():
    errors = errors_of(
        existing(line("1", 10021, "3"), line("2", 10010, "1"), line("4", 10021, "2")),
        meta("1", "2", "4"),
    )
    assert errors == {
        line_block(LineField.LICENSE, "4"): (
            "This license is already on line 1: put all its licenses on one line."
        )
    }


def test_the_same_add_on_on_two_parents_is_not_a_duplicate():
    form = parse_order_form(
        existing(line("1", 10040, "3", parent=480101), line("2", 10040, "2", parent=480103)),
        meta("1", "2"),
    )
    assert [x.parent_subscription_id for x in form.lines] == [480101, 480103]


def test_an_add_on_line_with_an_empty_parent_choice_is_refused_there():
    errors = errors_of(existing(line("1", 10040, "3", with_parent=True)), meta("1"))
    assert errors == {
        line_block(LineField.PARENT, "1"): "Choose the subscription this add-on attaches to."
    }


def test_lines_not_shown_in_the_modal_are_not_read():
    form = parse_order_form(existing(line("2", 10021, "1")), meta("1", "2"))
    assert [x.key for x in form.lines] == ["2"]


# --- a new license group ---------------------------------------------------------------------

GOOD_CONTACT = {
    OrderBlock.MPN_ID: "618 0342",
    OrderBlock.SUBDOMAIN: "Nordwind-Logistics.onmicrosoft.com",
    OrderBlock.DISPLAY_NAME: "Nordwind Logistics B.V.",
    OrderBlock.FIRST_NAME: "Femke",
    OrderBlock.LAST_NAME: "de Vries",
    OrderBlock.EMAIL: "femke@nordwind-logistics.nl",
    OrderBlock.PHONE: "+31 10 234 5678",
    OrderBlock.ADDRESS: "Wilhelminakade 91",
    OrderBlock.CITY: "Rotterdam",
    OrderBlock.ZIP_CODE: "3072 AP",
    OrderBlock.COUNTRY: "nl",
}


def new_group(**changes: str | None) -> dict:
    fields = {**GOOD_CONTACT, **{getattr(OrderBlock, k.upper()): v for k, v in changes.items()}}
    values = {
        str(k): (choice(v) if k is OrderBlock.COUNTRY else text(v)) for k, v in fields.items()
    }
    values.update(line("1", 10021, "10"))
    return values


def test_a_complete_new_group_order_becomes_a_provider_order():
    form = parse_order_form(new_group(), meta(mode=OrderMode.NEW_GROUP))
    assert isinstance(form, NewGroupOrderForm)
    order = form.tenant_order()
    assert order.mpn_id == "6180342"
    assert order.subdomain == "nordwind-logistics"
    assert order.contact.phone == "+31.102345678"  # OVHcloud's form
    assert order.contact.country == "NL"
    assert [(x.license_id, x.quantity) for x in order.licenses] == [(10021, 10)]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("mpn_id", "12345", "6 to 10 digits"),
        ("mpn_id", "12345678901", "6 to 10 digits"),
        ("mpn_id", "61803A2", "6 to 10 digits"),
        ("mpn_id", None, "Microsoft requires it"),
        ("subdomain", "-nordwind", "not starting or ending with a hyphen"),
        ("subdomain", "nord_wind", "letters, digits or hyphens"),
        ("subdomain", "x" * 64, "1 to 63"),
        ("email", "femke@", "not a valid email address"),
        ("email", "femke@nordwind", "not a valid email address"),
        ("email", "femke de vries@nordwind.nl", "not a valid email address"),
        ("email", None, "admin credentials"),
        ("phone", "0102345678", "international format"),
        ("phone", "+12345", "6 to 20 digits"),
        ("phone", "+" + "1" * 21, "6 to 20 digits"),
        ("phone", "+31 10 CALL ME", "international format"),
        ("zip_code", "!", "zip code"),
        ("country", "XX", "not an ISO 3166 country code"),
        ("first_name", " ", "required"),
        ("city", None, "required"),
    ],
)
def test_a_bad_contact_field_is_answered_next_to_it(field, value, words):
    errors = errors_of(new_group(**{field: value}), meta(mode=OrderMode.NEW_GROUP))
    block = getattr(OrderBlock, field.upper())
    assert list(errors) == [block]
    assert words in errors[block]


def test_every_field_error_is_given_at_once():
    errors = errors_of(
        new_group(mpn_id="1", email="nope", phone="12") | line("1", 10021, "0"),
        meta(mode=OrderMode.NEW_GROUP),
    )
    assert set(errors) == {
        OrderBlock.MPN_ID,
        OrderBlock.EMAIL,
        OrderBlock.PHONE,
        line_block(LineField.QUANTITY, "1"),
    }


# --- line keys -------------------------------------------------------------------------------


def test_lines_keep_their_keys_when_others_come_and_go():
    m = OrderMeta()
    assert m.add_line() == "2" and m.add_line() == "3"
    m.remove_line("2")
    assert m.lines == ["1", "3"] and m.add_line() == "4"
    assert OrderMeta.load(m.dump()) == m


def test_an_order_holds_at_most_max_lines_and_at_least_one():
    m = OrderMeta()
    while m.add_line():
        pass
    assert len(m.lines) == MAX_LINES
    for key in list(m.lines):
        m.remove_line(key)
    assert len(m.lines) == 1


def test_broken_metadata_starts_a_fresh_form():
    assert OrderMeta.load("{not json") == OrderMeta()


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lic", "quantity", "before", "field", "words"),
    [
        (None, 1, 0, "license", "can't be ordered in Nordwind"),
        (APPS, 1, 0, "license", "closed to new subscriptions"),
        (
            BASIC,
            276,
            25,
            "quantity",
            "limited to 300 licenses in Nordwind, which has 25: at most 275",
        ),
        (BASIC, 1, 300, "quantity", "at most 0 more"),
    ],
)
def test_order_line_refusals(lic, quantity, before, field, words):
    decision = policy.order_line(lic, quantity, before, "Nordwind")
    assert not decision.allowed and decision.field == field and words in decision.reason


@pytest.mark.parametrize(("lic", "quantity", "before"), [(BASIC, 275, 25), (E3, 5000, 12)])
def test_order_line_allows_up_to_the_limit(lic, quantity, before):
    assert policy.order_line(lic, quantity, before, "Nordwind").allowed


def test_add_on_rules():
    assert policy.addon_line(AUDIO, None, {480101}).field == "parent"
    chosen = policy.addon_line(AUDIO, 480999, {480101, 480104})
    assert chosen.field == "parent"
    assert chosen.reason == ("Subscription 480999 can't take Teams Audio "
                             "Conferencing: OVHcloud offers it only on subscriptions 480101 and "
                             "480104.")
    none = policy.addon_line(AUDIO, None, (), group="Nordwind")
    assert none.field == "license"
    assert none.reason == ("No subscription of Nordwind can take Teams Audio "
                           "Conferencing: OVHcloud offers it on none of them. Order a main "
                           "license it goes with first.")
    unread = policy.addon_line(AUDIO, 480101, (), group="Nordwind", unread=True)
    assert not unread.allowed and "run `/csp sync`" in unread.reason
    assert policy.addon_line(AUDIO, 480101, {480101}).allowed


def test_add_ons_attach_only_where_ovhcloud_offers_them():
    subs = [
        sub(480101, E3.id),
        sub(480102, AUDIO.id, parent_id=480101),
        sub(480103, BASIC.id, status="suspended"),
        sub(480104, BASIC.id),
        sub(480105, BASIC.id, addons=[]),  # OVHcloud offers it no add-on
        sub(480106, BASIC.id, addons=None),  # not read yet
    ]
    licenses = {x.id: x for x in (E3, AUDIO, BASIC)}
    parent_of = {s.id: s.parent_id for s in subs}
    available = {s.id: s.available_addon_licenses for s in subs}
    found = policy.addon_parents(AUDIO, subs, licenses, parent_of, available)
    assert [s.id for s in found] == [480101, 480104]
    assert policy.addon_parents(E3, subs, licenses, parent_of, available) == []
    choices = group("g", [E3, AUDIO, BASIC], subs)
    assert [s.id for s in choices.parents_for(AUDIO)] == [480101, 480104]
    refused = choices.addon_decision(AUDIO, 480105)
    assert not refused.allowed and refused.field == "parent"
    assert "480101 and 480104" in refused.reason
    assert choices.addon_decision(AUDIO, 480104).allowed


@pytest.mark.parametrize(
    ("seats", "amount", "unpriced", "approval", "words"),
    [
        (50, "1000.00", 0, False, None),
        (51, "10.00", 0, True, "51 licenses (more than 50)"),
        (5, "1000.01", 0, True, "1,000.01 EUR a month (more than 1,000.00 EUR)"),
        (60, "2000", 0, True, " and "),
        (5, None, 2, False, "2 lines have no price"),
    ],
)
def test_order_approval_thresholds(seats, amount, unpriced, approval, words):
    monthly = Money(Decimal(amount), "EUR") if amount else None
    decision = policy.order_approval(seats, monthly, unpriced, 50, Decimal("1000"))
    assert decision.allowed and decision.needs_approval is approval
    if words:
        assert words in " ".join(decision.notes)
    else:
        assert decision.notes == ()


def test_orders_go_only_to_groups_that_are_up():
    refused = policy.order_group("suspended", "Van der Berg")
    assert not refused.allowed and "suspended" in refused.reason and refused.field == "tenant"
    warned = policy.order_group("ok", "Van der Berg", "mpnIdNotIndirectReseller")
    assert warned.allowed and "MPN issue" in warned.notes[0]


# --- what is offered, and what is kept when the group changes --------------------------------


def sub(
    sid: int,
    license_id: int,
    quantity: int = 5,
    parent_id: int | None = None,
    status: str = "ok",
    service: str = "csp2-nw7k3q.o365.ovh",
    addons: list[int] | object | None = ...,
) -> CachedSubscription:
    """A cached subscription; a main one may take AUDIO unless `addons` says otherwise."""
    if addons is ...:
        addons = None if parent_id else [AUDIO.id]
    return CachedSubscription(
        id=sid,
        license_id=license_id,
        quantity=quantity,
        status=status,
        parent_id=parent_id,
        available_addon_licenses=addons,
        service_name=service,
        synced_at=NOW,
        license_name={10021: "Office 365 E3"}.get(license_id, "x"),
    )


def group(service: str, licenses: list[License], subs: list[CachedSubscription]) -> GroupChoices:
    tenant = CachedTenant(service_name=service, display_name=service.upper(), synced_at=NOW)
    return GroupChoices(tenant, {x.id: x for x in licenses}, tuple(subs))


def test_only_licenses_open_with_room_under_their_limit_are_offered():
    full = License(id=10011, name="Business Standard", limit=20)
    choices = group(
        "g", [E3, BASIC, APPS, AUDIO, full], [sub(1, full.id, 20), sub(2, BASIC.id, 25)]
    )
    assert [x.id for x in choices.offered()] == [BASIC.id, E3.id, AUDIO.id]
    assert choices.seats_of(BASIC.id) == 25


def test_changing_the_group_keeps_what_still_applies():
    m = meta("1", "2", "3")
    state = ViewState(
        existing(
            line("1", E3.id, "4"),
            line("2", BASIC.id, "7"),
            line("3", AUDIO.id, "2", parent=480101),
        )
    )
    other = group("other", [E3, AUDIO], [sub(480201, E3.id, service="other")])
    lines = prefill_lines(m, state, other)
    assert [(x.key, x.license and x.license.id, x.quantity, x.parent_id) for x in lines] == [
        ("1", E3.id, "4", None),  # still offered: same blocks, values kept
        ("4", None, "7", None),  # Basic is not offered there: fresh blocks, quantity carried
        ("5", AUDIO.id, "2", None),  # the old parent is not in this group: chosen again
    ]
    assert m.lines == ["1", "4", "5"]
    assert [p.id for p in lines[2].parents] == [480201]


# --- views -----------------------------------------------------------------------------------


def test_the_modal_with_every_line_stays_within_slacks_limits():
    choices = group("g", [E3, BASIC, AUDIO], [sub(480101, E3.id)])
    m = OrderMeta(tenant="g")
    while m.add_line():
        pass
    state = ViewState(existing(*(line(k, AUDIO.id, "1", parent=480101) for k in m.lines)))
    view = order_modal(m, prefill_lines(m, state, choices), choices=choices, tenant_label="G")
    data = view.to_dict()  # slack_sdk validates lengths and counts here
    assert len(data["blocks"]) <= 100
    ids = [b.get("block_id") for b in data["blocks"] if b.get("block_id")]
    assert len(ids) == len(set(ids))
    assert line_block(LineField.PARENT, m.lines[-1]) in ids
    assert "Add a license" not in str(data)  # full: no more lines


def test_the_new_group_modal_explains_the_mpn_id_and_the_email():
    catalogue = Catalogue({E3.id: E3})
    m = meta(mode=OrderMode.NEW_GROUP)
    data = order_modal(m, prefill_lines(m, ViewState({}), catalogue), choices=catalogue).to_dict()
    words = str(data)
    assert "indirect reseller" in words and "1 July 2022" in words
    assert "admin credentials" in words
    assert "add-ons excluded" in words


def test_every_country_is_offered_in_groups_slack_accepts():
    groups = country_groups()
    assert sum(len(g.options) for g in groups) == len(COUNTRIES) == 249
    assert all(len(g.options) <= 100 for g in groups) and len(groups) <= 100


def test_the_confirmation_prices_each_line_and_says_what_is_unknown():
    form = parse_order_form(
        existing(line("1", E3.id, "5"), line("2", AUDIO.id, "2", parent=480101)), meta("1", "2")
    )
    book = PriceBook({"Office 365 E3": Decimal("22.00")}, "EUR")
    parent = sub(480101, E3.id)
    plan = OrderPlan(
        [
            PricedLine(form.lines[0], E3, None, book.monthly(E3.name)),
            PricedLine(form.lines[1], AUDIO, parent, book.monthly(AUDIO.name)),
        ],
        "Nordwind",
        "EUR",
    )
    decision = policy.order_approval(plan.seats, plan.monthly, plan.unpriced, 50, Decimal(1000))
    content = order_confirmation(form, plan, decision, None)
    rows = dict((r.label, r.value) for r in content.rows)
    assert rows["License 1"] == "5 × Office 365 E3\n22.00 EUR per license · 110.00 EUR a month"
    assert "price not configured per license · price not configured a month" in rows["License 2"]
    assert "add-on of Office 365 E3 (480101)" in rows["License 2"]
    assert rows["Monthly total"] == "110.00 EUR (priced lines only)"
    assert content.approvers is None
    assert "never sent again" in content.next_step  # said while it still will happen
    assert [s.action for s in (p.step() for p in plan.lines)] == ["add_subscription", "order_addon"]
