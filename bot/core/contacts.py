"""Phone numbers and e-mail addresses people type into forms: one rule for every form.

Phone numbers are read with `phonenumbers` (Google's libphonenumber data): with a country
code (`+31 10 234 5678`, `0031 10 2345678`, OVHcloud's `+31.102345678`), or without one when
the form knows the country. They are sent to OVHcloud in its own form, `+<country code>.<number>`
(inferred from the examples of OVHcloud's API console and the values its API returns, e.g.
`+31.201234567`), and shown readably (`+31 20 123 4567`). E-mail addresses are checked with
`email-validator`, offline (no DNS look-up), and kept as typed apart from the domain's case.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.core.i18n import _

MAX_PHONE_TEXT = 40
MAX_EMAIL = 254


class ContactError(ValueError):
    """Not a phone number or not an e-mail address; the message says how to write it."""


def _phone(text: str | None, country: str | None = None) -> phonenumbers.PhoneNumber:
    value = (text or "").strip()
    if not value:
        raise ContactError(_("Enter a phone number."))
    if len(value) > MAX_PHONE_TEXT:
        raise ContactError(_("That is too long for a phone number."))
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ContactError(_("Write the phone number with its country code, e.g. "
                             "+31 10 234 5678."))
    return number


def parse_phone(text: str | None, country: str | None = None) -> str:
    """`text` as OVHcloud stores a phone number: `+31.102345678`. Raises ContactError."""
    number = _phone(text, country)
    return f"+{number.country_code}.{phonenumbers.national_significant_number(number)}"


def readable_phone(text: str | None, country: str | None = None) -> str:
    """`text` as people read a phone number: `+31 10 234 5678`. Raises ContactError."""
    return phonenumbers.format_number(_phone(text, country),
                                      phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_text(value: str | None) -> str:
    """A stored or provider-given number, shown readably; as it is when it is not one."""
    try:
        return readable_phone(value)
    except ContactError:
        return (value or "").strip()


def parse_email(text: str | None) -> str:
    """An e-mail address, its domain in lower case. Raises ContactError."""
    value = (text or "").strip()
    if not value:
        raise ContactError(_("Enter an e-mail address."))
    if len(value) > MAX_EMAIL:
        raise ContactError(_("That is too long for an e-mail address."))
    try:
        return validate_email(value, check_deliverability=False,
                              allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise ContactError(_("That is not an e-mail address; write it as "
                             "name@example.com.")) from None
