"""A stand-in for Entra ID's token endpoint, so msal can sign in on loopback.

msal only talks to an `https` authority, reads `{authority}/v2.0/.well-known/openid-configuration`
and posts to its `token_endpoint`; this serves both (over TLS: see `sandbox_server.serve`). It
knows one confidential client (id + secret) and the refresh tokens of partner users, each with a
Partner Center role and whether they signed in with MFA; it answers the two grants the bot uses:
`client_credentials` (app-only) and `refresh_token` (App+User, the Secure Application Model)
[D partner-center-authentication, enable-secure-app-model].

Access tokens are JWTs with the claims a Partner Center token carries: `aud` (the resource of the
requested scope), `tid`, `appid`, `idtyp`, and for a user `scp: user_impersonation`, `amr`
(`mfa` only when the user signed in with it — Microsoft's own tool checks exactly that claim
[S MCARefreshBulkAttestationCLITool/Providers/TokenProvider.cs]). They are signed with a key of
this process (HS256), which the sandbox server checks. Refresh tokens rotate at every use, as
Entra ID's do, and the old one stays valid until it is revoked.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

from bot.partner_center.sandbox_rules import ADMIN_AGENT, Caller

#: Scopes msal adds to user flows; the resource scope is the other one.
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
#: Audiences the sandbox server accepts: Partner Center's, and Azure AD Graph's, which the docs
#: and Microsoft's tools still use for app-only tokens [D partner-center-authentication;
#: S nce-bulk-migration-tool TokenProvider.cs; PS ConnectPartnerCenter.cs].
ACCEPTED_AUDIENCES = ("https://api.partnercenter.microsoft.com", "https://graph.windows.net")


@dataclass(frozen=True)
class TokenRequest:
    """What the stand-in was asked (never the secret or the refresh token)."""

    grant_type: str
    client_id: str
    scope: str


@dataclass
class EntraStandIn:
    tenant_id: str
    client_id: str
    client_secret: str
    #: Access-token lifetime in seconds (Entra ID: about an hour [D enable-secure-app-model]).
    lifetime: int = 3600
    clock: Callable[[], float] = time.time
    users: dict[str, Caller] = field(default_factory=dict)
    requests: list[TokenRequest] = field(default_factory=list)
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _oids: dict[str, str] = field(default_factory=dict, repr=False)

    def add_user(self, caller: Caller = ADMIN_AGENT, refresh_token: str | None = None) -> str:
        """Register a partner user's consent; returns the refresh token it gave."""
        token = refresh_token or "rt." + secrets.token_urlsafe(24)
        self.users[token] = caller
        return token

    def revoke(self, refresh_token: str) -> None:
        self.users.pop(refresh_token, None)

    # -- tokens ------------------------------------------------------------------------------

    def mint(self, scope: str, caller: Caller | None = None, *, lifetime: int | None = None) -> str:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "aud": audience_of(scope),
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "tid": self.tenant_id,
            "appid": self.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime),
        }
        if caller is None or not caller.app_user:
            claims.update(idtyp="app", oid=self._oid("app"), roles=[])
        else:
            claims.update(
                idtyp="user",
                scp="user_impersonation",
                upn=caller.name,
                oid=self._oid(caller.name),
                amr=["pwd", "mfa"] if caller.mfa else ["pwd"],
                wids=[str(caller.role)] if caller.role else [],
            )
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this stand-in issued; jwt.InvalidTokenError otherwise."""
        return jwt.decode(
            token,
            self._key,
            algorithms=["HS256"],
            audience=list(ACCEPTED_AUDIENCES),
            options={"require": ["exp", "aud", "tid"]},
            leeway=5,
        )

    def caller_of(self, claims: dict[str, Any]) -> Caller:
        if claims.get("idtyp") != "user":
            return Caller(app_user=False, role=None, mfa=False, name="app")
        name = claims.get("upn", "")
        for caller in self.users.values():
            if caller.name == name:
                return Caller(True, caller.role, "mfa" in (claims.get("amr") or []), name)
        return Caller(True, None, "mfa" in (claims.get("amr") or []), name)

    def _oid(self, name: str) -> str:
        return self._oids.setdefault(name, str(uuid.uuid4()))

    # -- HTTP --------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        tenant = "/{tenant}"

        async def openid_configuration(request: web.Request) -> web.Response:
            self._check_tenant(request)
            base = f"{request.scheme}://{request.host}/{request.match_info['tenant']}"
            return web.json_response(
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                }
            )

        async def token(request: web.Request) -> web.Response:
            self._check_tenant(request)
            return self._token(await request.post())

        return [
            web.get(tenant + "/v2.0/.well-known/openid-configuration", openid_configuration),
            web.post(tenant + "/oauth2/v2.0/token", token),
        ]

    def _check_tenant(self, request: web.Request) -> None:
        if request.match_info["tenant"] not in (self.tenant_id, "organizations", "common"):
            raise web.HTTPBadRequest(
                text='{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant '
                'not found."}',
                content_type="application/json",
            )

    def _token(self, form: Any) -> web.Response:
        grant = str(form.get("grant_type", ""))
        client_id = str(form.get("client_id", ""))
        scopes = str(form.get("scope", "")).split()
        resource = next((s for s in scopes if s not in _OIDC_SCOPES), "")
        self.requests.append(TokenRequest(grant, client_id, resource))
        if client_id != self.client_id:
            return _refuse(400, "unauthorized_client", "AADSTS700016: Application not found.")
        if not secrets.compare_digest(str(form.get("client_secret", "")), self.client_secret):
            return _refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if not resource:
            return _refuse(400, "invalid_scope", "AADSTS70011: The provided scope is invalid.")
        if grant == "client_credentials":
            if not resource.endswith("/.default"):
                return _refuse(400, "invalid_scope", "AADSTS1002012: Use a /.default scope.")
            return self._issue(resource, None)
        if grant == "refresh_token":
            old = str(form.get("refresh_token", ""))
            caller = self.users.get(old)
            if caller is None:
                return _refuse(
                    400, "invalid_grant", "AADSTS70000: The refresh token is invalid or expired."
                )
            rotated = self.add_user(caller)
            return self._issue(resource, caller, refresh_token=rotated)
        return _refuse(400, "unsupported_grant_type", f"AADSTS70003: {grant} is not supported.")

    def _issue(self, scope: str, caller: Caller | None, **extra: str) -> web.Response:
        body = {
            "token_type": "Bearer",
            "scope": "user_impersonation" if caller else scope,
            "expires_in": self.lifetime,
            "ext_expires_in": self.lifetime,
            "access_token": self.mint(scope, caller),
            **extra,
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})


def audience_of(scope: str) -> str:
    """`https://api.partnercenter.microsoft.com/.default` → `https://api.partnercenter.microsoft.com`
    (also for `/user_impersonation`)."""
    for suffix in ("/.default", "/user_impersonation"):
        if scope.endswith(suffix):
            return scope[: -len(suffix)]
    return scope


def _refuse(status: int, error: str, description: str) -> web.Response:
    body = {"error": error, "error_description": description, "error_codes": [
        int(description.split(":")[0].removeprefix("AADSTS"))
    ], "correlation_id": str(uuid.uuid4())}
    return web.json_response(body, status=status)
