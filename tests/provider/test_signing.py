"""OVHcloud signing, checked against the vectors published with the official Python client."""

from bot.provider.signing import sign, signature_matches

SECRET = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk"
CONSUMER = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY"
TIMESTAMP = 1457018875
URL = "https://eu.api.ovh.com/1.0/auth"


def test_get_without_body_matches_published_vector() -> None:
    assert (
        sign(SECRET, CONSUMER, "GET", URL, "", TIMESTAMP)
        == "$1$e9556054b6309771395efa467c22e627407461ad"
    )


def test_post_with_compact_json_body_matches_published_vector() -> None:
    assert (
        sign(SECRET, CONSUMER, "POST", URL, b'{"a":"b","c":"d"}', TIMESTAMP)
        == "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1"
    )


def test_lowercase_method_and_missing_body_sign_like_the_canonical_form() -> None:
    assert sign(SECRET, CONSUMER, "get", URL, None, TIMESTAMP) == sign(
        SECRET, CONSUMER, "GET", URL, "", TIMESTAMP
    )


def test_signature_check_rejects_any_changed_byte() -> None:
    good = sign(SECRET, CONSUMER, "POST", URL, '{"a":"b","c":"d"}', TIMESTAMP)
    assert signature_matches(good, SECRET, CONSUMER, "POST", URL, '{"a":"b","c":"d"}', TIMESTAMP)
    assert not signature_matches(
        good, SECRET, CONSUMER, "POST", URL, '{"a": "b", "c": "d"}', TIMESTAMP
    )
    assert not signature_matches(
        good, SECRET, CONSUMER, "POST", URL, '{"a":"b","c":"d"}', TIMESTAMP + 1
    )
