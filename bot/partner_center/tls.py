"""Which certificate authorities the Partner Center client trusts: what the environment says.

msal refuses any authority that is not `https` [msal authority.canonicalize], so a stand-in of
Entra ID (the tests', a playground's, a corporate proxy's) serves TLS with a CA of its own, and
the operator names it the usual ways: `SSL_CERT_FILE` (OpenSSL's, which Python's default context
reads) and `REQUESTS_CA_BUNDLE` (requests', which msal goes through). Both clients honour both;
neither pins certifi. Each variable adds to the trust store rather than replacing it, so a
REQUESTS_CA_BUNDLE that names the system bundle (as many images set) does not hide the CA in
SSL_CERT_FILE, nor the other way round. Read when a client is built.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import Any

import requests
from requests.adapters import HTTPAdapter

CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def ca_files() -> list[str]:
    return [path for var in CA_VARIABLES if (path := os.environ.get(var))]


def ssl_context() -> ssl.SSLContext:
    """The system's trust store plus every CA file the environment names (for aiohttp)."""
    context = ssl.create_default_context()
    for path in ca_files():
        context.load_verify_locations(cafile=path)
    return context


class _TrustingAdapter(HTTPAdapter):
    """requests with our SSL context; requests still adds the bundle it would use itself."""

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        return super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(*args, **kwargs)


def requests_session(timeout: float) -> requests.Session:
    """The HTTP client msal goes through: our trust store, a timeout on every request, one
    retry of a broken connection (what msal sets up for its own session)."""
    session = requests.Session()
    adapter = _TrustingAdapter(ssl_context(), max_retries=1)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.request = functools.partial(session.request, timeout=timeout)  # type: ignore[method-assign]
    return session
