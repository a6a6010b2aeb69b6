"""Country names from CLDR in the reader's language, the users' countries first; phone numbers
and e-mail addresses read by one rule in every form."""

from __future__ import annotations

import pytest

from bot.core.contacts import ContactError, parse_email, parse_phone, phone_text, readable_phone
from bot.core.i18n import using
from bot.orders.form import parse_phone as order_phone
from bot.orders.views import country_groups
from bot.reference.countries import COUNTRIES, FIRST, country_name, ordered
from bot.tenants.edit import check


def test_country_names_in_each_language():
    assert [country_name("AT", lang) for lang in ("en", "nl", "de", "pt", "it", "fr")] == [
        "Austria", "Oostenrijk", "Österreich", "Áustria", "Austria", "Autriche"]
    assert country_name("GB", "en") == "United Kingdom"  # not the tz database's "Britain (UK)"


def test_the_users_countries_come_first_then_the_languages_order():
    names = [name for _code, name in ordered("de")]
    assert names[:5] == ["Niederlande", "Deutschland", "Portugal", "Italien", "Frankreich"]
    rest = names[5:]
    assert rest.index("Österreich") < rest.index("Pakistan")  # Ö sorts with O, not after Z
    assert rest.index("Ägypten") < rest.index("Albanien")
    assert [name for _c, name in ordered("fr")][5:][:3] == ["Afghanistan", "Afrique du Sud",
                                                           "Albanie"]


def test_the_form_lists_every_iso_country_in_groups_slack_accepts():
    with using("fr"):
        groups = [g.to_dict() for g in country_groups()]
    assert groups[0]["label"]["text"] == " · ".join(FIRST)
    assert [o["text"]["text"] for o in groups[0]["options"]][:2] == ["Pays-Bas (NL)",
                                                                     "Allemagne (DE)"]
    assert sum(len(g["options"]) for g in groups) == len(COUNTRIES) == 249
    assert "XK" not in COUNTRIES and "EU" not in COUNTRIES and "NL" in COUNTRIES


@pytest.mark.parametrize("typed", ["+31 10 234 5678", "+31.102345678", "0031 10 2345678",
                                   "+31 (0)10 234 56 78", "+31-10-234-5678"])
def test_every_way_of_writing_a_number_is_sent_in_ovhclouds_form(typed):
    assert parse_phone(typed) == "+31.102345678"
    assert order_phone(typed) == "+31.102345678"


def test_ovhclouds_form_is_shown_readably():
    assert phone_text("+31.102345678") == "+31 10 234 5678"
    assert phone_text("+33.491234567") == "+33 4 91 23 45 67"
    assert readable_phone("010 234 5678", "NL") == "+31 10 234 5678"
    assert phone_text("not a number") == "not a number"


@pytest.mark.parametrize("typed", ["+31 10", "+31 10 CALL ME", "0102345678", "+999 1234567",
                                   "+31 +10 2345678", "+" + "1" * 30])
def test_what_is_not_a_phone_number_is_refused(typed):
    with pytest.raises(ContactError):
        parse_phone(typed)


def test_a_group_edit_keeps_the_number_in_ovhclouds_form():
    checked = check({"display_name": "Nordwind", "phone": "+31 10 234 5679"})
    assert checked["phone"] == "+31.102345679"


@pytest.mark.parametrize(("typed", "kept"), [("femke@Nordwind.NL", "femke@nordwind.nl"),
                                             ("it.admin@example.com", "it.admin@example.com")])
def test_email_addresses(typed, kept):
    assert parse_email(typed) == kept


@pytest.mark.parametrize("typed", ["femke@", "femke@nordwind", "femke de vries@nordwind.nl",
                                   "a@b@c.nl", "<x>@nordwind.nl"])
def test_what_is_not_an_email_address_is_refused(typed):
    with pytest.raises(ContactError):
        parse_email(typed)
