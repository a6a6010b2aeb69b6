"""Product keys and downloads: Partner Center has no API for them, so the bot says so and shows
the way.

No source documents a key or download resource: entitlements come with `entitledArtifacts: []`
and the only artifact type is `reservedinstance` [partner-center-software.md §5]. An Admin agent
gets them in Partner Center (Customers → the customer → Software → version, language, 32/64-bit
→ "Get keys and downloads" → Get key / Download / Copy link) [D csp-on-premises-software]; the
customer's global admin in the Microsoft 365 admin center (Billing → Your products → Software)
[microsoft-365-docs download-software-licenses-csp.md]. Keys are MAK only, never KMS [NL
csp-on-premises-software]. Every use of the route is in the audit trail, as Partner Center's
Activity log records key views and downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.errors import NotAllowed, NotFoundError
from bot.core.i18n import _
from bot.policy.software import may_take_key_route
from bot.software.purchases import Purchase
from store import requests as audit_repo
from store import software as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

#: Partner Center's dashboard; the customer's Software page is reached from its Customers list
#: (a deep link to it is not documented).
PARTNER_CENTER_URL = "https://partner.microsoft.com/dashboard"
#: The Microsoft 365 admin center, where the customer's global admin finds its software.
ADMIN_CENTER_URL = "https://admin.microsoft.com"
AUDIT_ACTION = "software_key_route"


@dataclass(frozen=True)
class KeyRoute:
    customer_id: str
    customer_name: str
    domain: str | None
    purchases: list[Purchase]


async def key_route(runtime: Runtime, customer_id: str, user: str) -> KeyRoute:
    """The route for an admin agent, audited; NotAllowed for anyone else (audited too: a
    refused look is worth knowing)."""
    decision = may_take_key_route(await runtime.roles.of(user))
    async with runtime.db.transaction() as session:
        customer = await repo.get_customer(session, customer_id)
        if customer is None:
            raise NotFoundError(_("That customer is not in the software cache."))
        rows = await repo.purchases_of(session, customer_id)
        await audit_repo.add_audit(
            session, request_id=None, tenant=customer.license_group, actor=user,
            action=AUDIT_ACTION if decision.allowed else AUDIT_ACTION + "_refused",
            note=customer.name,
            data={"customer_id": customer_id, "purchases": [r.order_id for r in rows]},
        )
    if not decision.allowed:
        raise NotAllowed(decision.reason)
    held = [Purchase.of(r) for r in rows]
    return KeyRoute(customer_id, customer.name, customer.domain,
                    [p for p in held if not p.cancelled])
