"""Partner Center's refusals as typed errors, each with plain words and the ids support asks for.

Every error is a `ProviderError` (so the worker and the error handler treat it like any provider
failure) and also, where one fits, the matching generic type (`NotFound`, `RateLimited`, …).
It keeps Partner Center's `code` and `description` and the `MS-CorrelationId`/`MS-RequestId` of
the call, which Microsoft support needs to find it [D headers].

Error bodies are `{"code":800090,"description":"…","data":[…],"source":"PartnerFD"}`, with
`code` a string in the doc and an integer in its examples, so both are read [D error-codes;
SDK ApiFault.cs]; a 429 has a body of its own, `{"statusCode":429,"message":"Rate limit is
exceeded. Try again in 57 seconds."}`, and a `Retry-After` header [D api-throttling-guidance].
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from bot.core.i18n import _
from bot.partner_center.wire import _read_code
from bot.provider import base

H_REQUEST_ID = "MS-RequestId"
H_CORRELATION_ID = "MS-CorrelationId"


class PartnerCenterError(base.ProviderError):
    """A Partner Center call failed. `message` is in plain words; `description` is Microsoft's."""

    #: Partner Center error codes this type stands for; the first is what the sandbox sends.
    codes: ClassVar[tuple[int, ...]] = ()
    http_status: ClassVar[int] = 500

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: int | str | None = None,
        description: str | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        data: Any = None,
        source: str | None = None,
        error_class: str | None = None,
        error_code: str | None = None,
        query_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        code = _read_code(code if code is not None else error_code)
        if code is None and self.codes:
            code = self.codes[0]
        self.code = code
        self.description = description
        self.correlation_id = correlation_id or query_id
        self.request_id = request_id
        self.data = data
        self.source = source
        super().__init__(
            message or self.plain_words(),
            status=status or self.http_status,
            error_class=source or error_class,
            error_code=None if code is None else str(code),
            query_id=self.correlation_id,
            details=details,
        )
        if retry_after is not None:
            self.retry_after = retry_after

    def plain_words(self) -> str:
        return _("Partner Center refused the request.")

    def __str__(self) -> str:
        parts = [self.message]
        said = f"Microsoft: {self.description}" if self.description else ""
        where = ", ".join(
            x
            for x in (
                _("code {code}", code=self.code) if self.code is not None else "",
                f"HTTP {self.status}" if self.status else "",
            )
            if x
        )
        if said or where:
            parts.append(f"{said} ({where})" if said and where else said or where)
        pairs = ((H_CORRELATION_ID, self.correlation_id), (H_REQUEST_ID, self.request_id))
        ids = [f"{name} {value}" for name, value in pairs if value]
        if ids:
            parts.append(", ".join(ids))
        return " — ".join(parts)


class WindowPassed(PartnerCenterError):
    """400 900117 (a `{0}`-day window) or 900213 (a `{0}`-hour one) [D csp-software-subscriptions,
    cancel-software-purchases]."""

    codes = (900117, 900213)
    http_status = 400

    def plain_words(self) -> str:
        return _("Microsoft's cancellation window for this purchase has passed: it can no "
                 "longer be cancelled through Partner Center. A refund ticket to Microsoft "
                 "support is the remaining route.")


class Busy(PartnerCenterError):
    """409 800060 / 800014 (busy, retry later) and 800064 (checkout busy) [D]."""

    codes = (800060, 800014, 800064)
    http_status = 409
    retryable = True

    def plain_words(self) -> str:
        return _("Partner Center is busy with this item (another change is under way); it "
                 "can be tried again in a few minutes.")


class RoleRefused(PartnerCenterError):
    """403 900150 / 900308: the signed-in partner user's role is too weak [D]."""

    codes = (900150, 900308)
    http_status = 403

    def plain_words(self) -> str:
        return _("The Partner Center user the bot acts as lacks the role for this: cancelling "
                 "software needs the Admin agent role.")


class WrongCancelPath(PartnerCenterError):
    """403 800019, 400 800063 (use the subscription), 400 800061 (can't be cancelled)
    [D cancel-an-order-from-the-integration-sandbox]."""

    codes = (800019, 800063, 800061)
    http_status = 400

    def plain_words(self) -> str:
        if self.code == 800061:
            return _("Microsoft says this item cannot be cancelled.")
        return _("This purchase cannot be cancelled that way: perpetual software is cancelled "
                 "through its order, new-commerce licenses through their subscription.")


class NotFound(PartnerCenterError, base.NotFound):
    """404: 60003 (tenant), 800008 (cart), and any other 404 [D error-codes, checkout-a-cart]."""

    codes: ClassVar[tuple[int, ...]] = ()
    http_status = 404

    def plain_words(self) -> str:
        return _("Partner Center has no such customer, cart, order or subscription.")


class UnknownOrder(NotFound):
    """404 20000 [D cancel-software-purchases]."""

    codes = (20000,)

    def plain_words(self) -> str:
        return _("Partner Center knows no such order for this customer.")


class StaleCatalogItem(NotFound):
    """404 400019 at checkout: the catalog item id changed since it was read [D]."""

    codes = (400019,)

    def plain_words(self) -> str:
        return _("The catalogue item changed since it was read: read the catalogue again and "
                 "buy the current item.")


class AuthenticationFailed(PartnerCenterError, base.AuthenticationError):
    """401 from Partner Center (it may carry `WWW-Authenticate`), or a token Entra ID refused."""

    http_status = 401

    def plain_words(self) -> str:
        return _("Partner Center or Entra ID refused the bot's credentials: check "
                 "PARTNER_CENTER_TENANT_ID, PARTNER_CENTER_CLIENT_ID and "
                 "PARTNER_CENTER_CLIENT_SECRET (docs/setup.md).")


class MfaRequired(AuthenticationFailed):
    """401 900421: an App+User token without MFA, refused since 2026 [L
    partner-center-authentication; 3P cloudcockpit.com, tagydes.com]."""

    codes = (900421,)

    def plain_words(self) -> str:
        return _("Partner Center requires multi-factor authentication, and the stored sign-in "
                 "(PARTNER_CENTER_REFRESH_TOKEN) was made without it: the admin agent must "
                 "consent again, with MFA (docs/setup.md).")


class AppOnlyRefused(PartnerCenterError, base.AuthenticationError):
    """403 900329: an App+User-only call (entitlements, provisioning status) made app-only
    [D page prerequisites]."""

    codes = (900329,)
    http_status = 403

    def plain_words(self) -> str:
        return _("Partner Center answers this only to a signed-in partner user (App+User): "
                 "set PARTNER_CENTER_REFRESH_TOKEN (docs/setup.md).")


class NoRelationship(PartnerCenterError):
    """403 20002: the partner has no relationship with this customer [D error-codes]."""

    codes = (20002,)
    http_status = 403

    def plain_words(self) -> str:
        return _("This customer has no reseller relationship with the partner account.")


class CartAlreadyOrdered(PartnerCenterError):
    """400 800065: the cart was checked out already [D checkout-a-cart]."""

    codes = (800065,)
    http_status = 400

    def plain_words(self) -> str:
        return _("This cart was checked out already; its order is in the customer's orders.")


class RateLimited(PartnerCenterError, base.RateLimited):
    """429 with `Retry-After` [D api-throttling-guidance]."""

    http_status = 429
    retryable = True

    def plain_words(self) -> str:
        return _("Partner Center asked the bot to slow down (too many requests).")


class BadRequest(PartnerCenterError, base.BadParameters):
    http_status = 400


class Forbidden(PartnerCenterError, base.AuthenticationError):
    http_status = 403

    def plain_words(self) -> str:
        return _("Partner Center does not let the bot do this.")


class Conflict(PartnerCenterError, base.Conflict):
    http_status = 409


class ServerError(PartnerCenterError, base.ServerError):
    http_status = 500
    retryable = True

    def plain_words(self) -> str:
        return _("Partner Center failed to answer (a server error); it can be tried again.")


class Timeout(PartnerCenterError, base.ProviderTimeout):
    """No answer in time: for a write, the outcome is unknown until it is read back or resent
    with the same MS-RequestId."""

    http_status = 504
    retryable = True

    def plain_words(self) -> str:
        return _("Partner Center did not answer in time.")


class Unavailable(PartnerCenterError, base.ProviderUnavailable):
    http_status = 503
    retryable = True

    def plain_words(self) -> str:
        return _("Partner Center (or the sign-in service) cannot be reached.")


_BY_CODE: dict[int, type[PartnerCenterError]] = {
    code: cls
    for cls in (
        WindowPassed,
        Busy,
        RoleRefused,
        WrongCancelPath,
        UnknownOrder,
        StaleCatalogItem,
        MfaRequired,
        AppOnlyRefused,
        NoRelationship,
        CartAlreadyOrdered,
    )
    for code in cls.codes
}
_BY_STATUS: dict[int, type[PartnerCenterError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def error_type_for(status: int, code: int | str | None = None) -> type[PartnerCenterError]:
    """The typed error for an answer: by Partner Center's code first, else by HTTP status."""
    known = _BY_CODE.get(code) if isinstance(code, int) else None
    if known is not None:
        return known
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else PartnerCenterError


_TRY_AGAIN = re.compile(r"try again in (\d{1,5}) seconds?", re.IGNORECASE)


def retry_after_seconds(headers: Mapping[str, str], message: str | None = None) -> float | None:
    """`Retry-After` as seconds or an HTTP date; failing that, the 429 body's "Try again in N
    seconds" (inferred fallback, for a proxy that drops the header)."""
    raw = headers.get("Retry-After")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    match = _TRY_AGAIN.search(message or "")
    return float(match.group(1)) if match else None


def error_from_answer(
    status: int, text: str, headers: Mapping[str, str], *, request_id: str | None = None
) -> PartnerCenterError:
    """Read an error answer (either body shape, or none) into its typed error."""
    try:
        payload = json.loads(text) if text else {}
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    code = _read_code(payload.get("code"))
    description = payload.get("description") or payload.get("message")
    if description is not None:
        description = str(description)[:1000]
    elif text and not payload:
        description = text.strip()[:300] or None
    cls = error_type_for(status, code)
    details = {}
    if headers.get("WWW-Authenticate"):
        details["www_authenticate"] = headers["WWW-Authenticate"][:500]
    return cls(
        status=status,
        code=code,
        description=description,
        correlation_id=headers.get(H_CORRELATION_ID),
        request_id=headers.get(H_REQUEST_ID) or request_id,
        retry_after=retry_after_seconds(headers, description) if status == 429 else None,
        data=payload.get("data"),
        source=payload.get("source"),
        details=details or None,
    )


def error_body(err: PartnerCenterError | base.ProviderError) -> dict[str, Any]:
    """The JSON body Partner Center would send for `err` (the sandbox server's side)."""
    status = err.status or type(err).http_status
    if status == 429:
        seconds = int(err.retry_after or 0)
        return {
            "statusCode": 429,
            "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
        }
    code = getattr(err, "code", None)
    return {
        "code": code if code is not None else 0,
        "description": getattr(err, "description", None) or err.message,
        "data": getattr(err, "data", None) or [],
        "source": "PartnerFD",
    }
