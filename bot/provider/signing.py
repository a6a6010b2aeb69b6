"""OVHcloud API request signing, shared by the client and the sandbox server.

OVHcloud authenticates each call with a SHA-1 over the application secret, the consumer key,
the method, the full URL, the exact body bytes and a timestamp. Both sides must build that
string identically, so the one implementation lives here and is proven against the test vectors
published with OVHcloud's official Python client (tests/provider/test_signing.py).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "$1$"

# Header names as OVHcloud spells them (HTTP headers are case-insensitive on the wire).
H_APPLICATION = "X-Ovh-Application"
H_CONSUMER = "X-Ovh-Consumer"
H_TIMESTAMP = "X-Ovh-Timestamp"
H_SIGNATURE = "X-Ovh-Signature"
H_BATCH = "X-Ovh-Batch"
H_QUERY_ID = "X-OVH-QUERYID"


def _as_text(body: str | bytes | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return body


def sign(
    application_secret: str,
    consumer_key: str,
    method: str,
    full_url: str,
    body: str | bytes | None,
    timestamp: int,
) -> str:
    """The `X-Ovh-Signature` value for one request.

    `full_url` is the base URL + path + query string exactly as sent, and `body` the exact JSON
    bytes sent ("" or None when there is none): re-serialising the body would change the hash.
    """
    to_sign = "+".join(
        (
            application_secret,
            consumer_key,
            method.upper(),
            full_url,
            _as_text(body),
            str(int(timestamp)),
        )
    )
    return SIGNATURE_PREFIX + hashlib.sha1(to_sign.encode("utf-8")).hexdigest()


def signature_matches(
    signature: str,
    application_secret: str,
    consumer_key: str,
    method: str,
    full_url: str,
    body: str | bytes | None,
    timestamp: int,
) -> bool:
    """Whether a received signature is the one we expect, compared in constant time."""
    expected = sign(application_secret, consumer_key, method, full_url, body, timestamp)
    return hmac.compare_digest(expected.encode(), signature.encode())
