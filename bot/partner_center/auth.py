"""Access tokens for Partner Center, from Entra ID through msal.

Two kinds [D partner-center-authentication, enable-secure-app-model]:
- app-only: the client-credentials grant of the bot's app registration;
- App+User (the Secure Application Model): an Admin agent consented once, interactively and
  with MFA; the refresh token that gave is stored (PARTNER_CENTER_REFRESH_TOKEN) and redeemed
  for access tokens. Entra ID rotates it at each use; the newest is kept in memory.

msal is synchronous (requests underneath), so every msal call runs in a worker thread
(`asyncio.to_thread`); a token is kept until shortly before it expires, and a lock per kind makes
a burst of calls share one token request. No token, secret or refresh token is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt
import msal
import requests

from bot.core.i18n import _
from bot.partner_center import endpoints, errors, tls

log = logging.getLogger(__name__)



class TokenKind(StrEnum):
    APP = "app"
    APP_USER = "app_user"


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: float
    kind: TokenKind

    def claims(self) -> dict[str, Any]:
        """The token's claims, unverified (Partner Center verifies it; the bot only looks)."""
        try:
            return jwt.decode(self.value, options={"verify_signature": False})
        except jwt.PyJWTError:
            return {}

    @property
    def mfa(self) -> bool | None:
        """Whether the sign-in behind an App+User token used MFA (the `amr` claim, as
        Microsoft's own tool checks [S]); None when the token does not say."""
        amr = self.claims().get("amr")
        return None if amr is None else "mfa" in amr


class PartnerCenterAuth:
    """Tokens of both kinds for one app registration in the partner's tenant."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: Any,
        refresh_token: Any = None,
        scope: str = endpoints.SCOPE,
        app_scope: str | None = None,
        authority_url: str = endpoints.AUTHORITY_URL,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.authority = f"{authority_url.rstrip('/')}/{tenant_id}"
        self.scope = scope
        self.app_scope = app_scope or scope
        self.timeout = timeout
        self._secret = _reveal(client_secret)
        self._refresh_token = _reveal(refresh_token) if refresh_token else None
        self._clock = clock
        self._tokens: dict[TokenKind, AccessToken] = {}
        self._locks = {kind: asyncio.Lock() for kind in TokenKind}
        self._app_lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None

    def __repr__(self) -> str:
        return f"PartnerCenterAuth(tenant={self.tenant_id!r}, client={self.client_id!r})"

    @property
    def has_user(self) -> bool:
        """Whether App+User tokens can be had (a refresh token is configured)."""
        return self._refresh_token is not None

    async def token(self, kind: TokenKind) -> AccessToken:
        """A valid token of `kind`, from the cache or from Entra ID."""
        cached = self._fresh(kind)
        if cached is not None:
            return cached
        async with self._locks[kind]:
            cached = self._fresh(kind)
            if cached is None:
                cached = await asyncio.to_thread(self._acquire, kind)
                self._tokens[kind] = cached
            return cached

    def forget(self, kind: TokenKind) -> None:
        """Drop a cached token Partner Center refused (401), so the next call gets a new one."""
        self._tokens.pop(kind, None)

    def _fresh(self, kind: TokenKind) -> AccessToken | None:
        token = self._tokens.get(kind)
        return token if token is not None and self._clock() < token.expires_at else None

    # -- in a worker thread ------------------------------------------------------------------

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._app_lock:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._secret,
                    authority=self.authority,
                    # The authority is a setting and may be a stand-in: never ask
                    # login.microsoftonline.com whether it knows it.
                    instance_discovery=False,
                    http_client=tls.requests_session(self.timeout),
                )
            return self._app

    def _acquire(self, kind: TokenKind) -> AccessToken:
        started = self._clock()
        try:
            app = self._application()
            if kind is TokenKind.APP:
                result = app.acquire_token_for_client(scopes=[self.app_scope])
            else:
                if self._refresh_token is None:
                    raise errors.AppOnlyRefused(
                        _("App+User calls need an Admin agent's consent: set "
                          "PARTNER_CENTER_REFRESH_TOKEN (docs/setup.md).")
                    )
                result = app.acquire_token_by_refresh_token(
                    self._refresh_token, scopes=[self.scope]
                )
        except requests.RequestException as exc:
            raise errors.Unavailable(
                _("The sign-in service at {url} cannot be reached ({error}). A stand-in with "
                  "its own certificate authority needs SSL_CERT_FILE or REQUESTS_CA_BUNDLE.",
                  url=self.authority, error=type(exc).__name__)
            ) from None
        except ValueError as exc:  # msal: the authority's configuration could not be read
            raise errors.Unavailable(
                _("The sign-in service at {url} gave no usable configuration: check "
                  "PARTNER_CENTER_AUTHORITY_URL and PARTNER_CENTER_TENANT_ID ({error}).",
                  url=self.authority, error=str(exc)[:200])
            ) from None
        if "access_token" not in result:
            raise _refusal(kind, result)
        if kind is TokenKind.APP_USER and result.get("refresh_token"):
            self._refresh_token = result["refresh_token"]
        lifetime = float(result.get("expires_in") or 0)
        # Renew five minutes early (a tenth of the lifetime for short ones).
        margin = min(300.0, lifetime / 10)
        log.info("Partner Center %s token acquired, valid %.0fs", kind, lifetime)
        return AccessToken(str(result["access_token"]), started + lifetime - margin, kind)


def _reveal(value: Any) -> str:
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else str(value)


def _refusal(kind: TokenKind, result: dict[str, Any]) -> errors.AuthenticationFailed:
    code = str(result.get("error") or "unknown_error")
    description = str(result.get("error_description") or "")[:500]
    if code == "invalid_grant" and kind is TokenKind.APP_USER:
        words = _("Entra ID no longer accepts the stored refresh token (expired, revoked, or the "
                  "admin agent's password changed): consent again and store the new one in "
                  "PARTNER_CENTER_REFRESH_TOKEN (docs/setup.md).")
    elif code == "invalid_client" or code == "unauthorized_client":
        words = _("Entra ID refused the bot's app credentials: check PARTNER_CENTER_CLIENT_ID "
                  "and PARTNER_CENTER_CLIENT_SECRET (a secret expires; docs/setup.md).")
    elif code == "invalid_scope":
        words = _("Entra ID refused the scope: check PARTNER_CENTER_SCOPE and "
                  "PARTNER_CENTER_APP_SCOPE (docs/setup.md).")
    else:
        words = _("Entra ID did not give the bot a token ({error}).", error=code)
    log.warning("Entra ID refused a %s token: %s", kind, code)
    return errors.AuthenticationFailed(
        words,
        status=401,
        code=code,
        description=description or None,
        correlation_id=result.get("correlation_id"),
    )
