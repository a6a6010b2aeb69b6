"""`csp-bot pc-sandbox`: the Partner Center sandbox and its Entra ID stand-in on one HTTPS port.

TLS is needed because msal signs in only at an `https` authority. With `--tls-cert/--tls-key`
the server uses that certificate; without, it makes a throwaway CA with trustme (installed with
the test extra, which `make` installs) and writes the CA to a file for SSL_CERT_FILE.
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.partner_center.entra_standin import EntraStandIn
from bot.partner_center.sandbox import PartnerCenterSandbox
from bot.partner_center.sandbox_rules import ADMIN_AGENT, Behaviour
from bot.partner_center.sandbox_server import (
    create_partner_center_app,
    start_partner_center_server,
)

DEMO_TENANT_ID = "00000000-0000-4000-8000-0000000000c5"
DEMO_CLIENT_ID = "00000000-0000-4000-8000-00000000b075"
DEMO_CLIENT_SECRET = "pc-sandbox-client-secret"
DEMO_REFRESH_TOKEN = "pc-sandbox-admin-agent-refresh-token"


@dataclass(frozen=True)
class Credentials:
    tenant_id: str = DEMO_TENANT_ID
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    refresh_token: str = DEMO_REFRESH_TOKEN


class NoCertificate(RuntimeError):
    """Neither a certificate was given nor can trustme make one."""


def tls_context(
    cert: str | None, key: str | None, host: str, ca_out: str | None
) -> tuple[ssl.SSLContext, Path | None]:
    """The server's TLS context, and the CA file clients must trust when one was made here."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if cert:
        context.load_cert_chain(cert, key)
        return context, None
    try:
        import trustme
    except ImportError:
        raise NoCertificate(
            "pass --tls-cert and --tls-key, or install trustme (pip install trustme) so the "
            "sandbox can make a throwaway certificate authority"
        ) from None
    ca = trustme.CA()
    ca.issue_cert(*dict.fromkeys((host, "127.0.0.1", "localhost"))).configure_cert(context)
    path = Path(ca_out) if ca_out else Path(tempfile.mkdtemp(prefix="pc-sandbox-")) / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return context, path


async def serve(
    host: str,
    port: int,
    credentials: Credentials,
    context: ssl.SSLContext,
    *,
    behaviour: Behaviour | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled; `ready` gets the base URL once listening."""
    sandbox = PartnerCenterSandbox(behaviour=behaviour)
    entra = EntraStandIn(credentials.tenant_id, credentials.client_id, credentials.client_secret)
    entra.add_user(ADMIN_AGENT, credentials.refresh_token)
    app = create_partner_center_app(sandbox, entra)
    runner, url = await start_partner_center_server(app, host, port, ssl_context=context)
    try:
        if ready is not None:
            ready(url)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def run(host: str, port: int, credentials: Credentials, context: ssl.SSLContext, **kw: Any) -> None:
    """Blocking entry point: serves until Ctrl-C."""
    try:
        asyncio.run(serve(host, port, credentials, context, **kw))
    except KeyboardInterrupt:
        pass
