"""The rules of the Partner Center sandbox, and the knobs for what Microsoft does not publish.

Each rule cites its source; where the evidence is silent the rule says "inferred" and
`Behaviour` offers the other reading, so the contract suite can run the client against both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from bot.partner_center import errors
from bot.partner_center.orders import Order, OrderStatus
from bot.partner_center.sandbox_data import CatalogueEntry, Kind

#: Software subscriptions bought before this are listed only in orders
#: [D csp-software-subscriptions].
SUBSCRIPTIONS_LISTED_FROM = datetime(2021, 10, 14, tzinfo=UTC)


class PartnerRole(StrEnum):
    """Partner Center roles of a signed-in partner user (docs/policies.md)."""

    ADMIN_AGENT = "AdminAgent"
    SALES_AGENT = "SalesAgent"
    HELPDESK_AGENT = "HelpdeskAgent"
    GLOBAL_ADMIN = "GlobalAdmin"


@dataclass(frozen=True)
class Caller:
    """Who calls: an App+User token (a partner user, with a role, signed in with or without
    MFA) or an app-only one."""

    app_user: bool = True
    role: PartnerRole | None = PartnerRole.ADMIN_AGENT
    mfa: bool = True
    name: str = "admin.agent@partner.onmicrosoft.com"


ADMIN_AGENT = Caller()
APP_ONLY = Caller(app_user=False, role=None, mfa=False, name="app")


@dataclass
class Behaviour:
    """What the sandbox does where Microsoft's documents leave a choice (tests flip these)."""

    #: Perpetual: full refund within 30 calendar days [L new-commerce-cancellation-policy];
    #: the 2021 guide said 60 [NL]. The runtime passes CSP_PERPETUAL_CANCELLATION_WINDOW_DAYS.
    perpetual_window: timedelta = timedelta(days=30)
    #: Software subscriptions: 7 calendar days [L]; 2021 examples showed 30 [D
    #: manage-billing-frequency-software-subs].
    subscription_window: timedelta = timedelta(days=7)
    #: New-commerce licenses: 168 hours (docs/policies.md).
    license_window: timedelta = timedelta(hours=168)
    #: The integration sandbox refuses to cancel orders older than 60 days [D
    #: cancel-an-order-from-the-integration-sandbox]; the code it answers is unpublished
    #: (inferred: 900117).
    integration_sandbox: bool = False
    integration_cancel_limit: timedelta = timedelta(days=60)
    #: Order PATCH of a new-commerce item: 403 800019, or 400 800063 "use the subscription" [D].
    wrong_path_code: int = 800019
    #: A late cancel: 900117 (`{0}`-day) or 900213 (`{0}`-hour) [D]; which one a late software
    #: subscription gets is an open question.
    late_subscription_code: int = 900117
    #: Role refusal: 900150 or 900308 [D].
    role_code: int = 900150
    #: Who may cancel: Admin agent [D csp-software-subscriptions]; the policy page also lists
    #: Sales agent [L], so that reading is a variant.
    cancel_roles: frozenset[PartnerRole] = field(
        default_factory=lambda: frozenset({PartnerRole.ADMIN_AGENT, PartnerRole.GLOBAL_ADMIN})
    )
    #: A second checkout of an ordered cart: the first result [D checkout-a-cart, "idempotent"],
    #: or 400 800065 "already submitted" [D] (variant).
    repeat_checkout_refused: bool = False
    #: A cancelled entitlement: quantity 0, or gone (open question 7; inferred both).
    cancelled_entitlements_vanish: bool = False
    #: Subscription PATCH may answer 202 + Location [L cancel-software-purchases].
    subscription_patch_accepted: bool = False
    #: From 1 Apr 2026 every App+User call needs MFA [L partner-center-authentication].
    require_mfa: bool = True
    #: How long a new order stays `pending` (inferred) and how late lists show it (up to 15
    #: minutes [D purchase-catalog-items]).
    order_duration: timedelta = timedelta(minutes=2)
    list_delay: timedelta = timedelta(minutes=5)
    #: Carts expire 7 days after creation [D cart-resources].
    cart_lifetime: timedelta = timedelta(days=7)
    #: How often catalog item ids change (inferred: the docs say only that they do).
    catalog_rotation: timedelta = timedelta(days=30)


# --- who may call ---------------------------------------------------------------------------


def check_caller(caller: Caller, behaviour: Behaviour, *, app_user_only: bool) -> None:
    """MFA first (401 900421 [3P cloudcockpit.com]), then App+User-only resources (403 900329
    [D page prerequisites])."""
    if caller.app_user and behaviour.require_mfa and not caller.mfa:
        raise errors.MfaRequired(
            description="Multi-factor authentication is required for App+User calls."
        )
    if app_user_only and not caller.app_user:
        raise errors.AppOnlyRefused(description="This operation requires App+User credentials.")


def check_cancel_role(caller: Caller, behaviour: Behaviour) -> None:
    """Only an Admin agent may cancel software [D csp-software-subscriptions]; an app-only
    order PATCH is allowed [D cancel-software-purchases]."""
    if caller.app_user and caller.role not in behaviour.cancel_roles:
        raise errors.RoleRefused(
            code=behaviour.role_code,
            description=f"The role {caller.role} is not allowed to perform this operation.",
        )


# --- deadlines ------------------------------------------------------------------------------


def subscription_deadline(created: datetime, kind: Kind, behaviour: Behaviour) -> datetime:
    """`cancellationAllowedUntilDate`: 23:59 UTC of the window's last day, the shape of the 2021
    example (2021-09-14 → "2021-10-14T23:59:00Z") [D manage-billing-frequency-software-subs]
    applied to the current 7 days [L] (the combination is inferred). Licenses: 168 hours."""
    if kind is Kind.NEW_COMMERCE:
        return created + behaviour.license_window
    last_day = (created + behaviour.subscription_window).date()
    return datetime.combine(last_day, time(23, 59), UTC)


def _late(code: int, days: float) -> errors.WindowPassed:
    unit = "hour" if code == 900213 else "day"
    amount = round(days * 24) if unit == "hour" else round(days)
    return errors.WindowPassed(
        code=code,
        description=f"The subscription cannot be cancelled after the {amount}-{unit} "
        "cancellation window.",
    )


def check_cancellable(
    entry: CatalogueEntry,
    order: Order,
    deadline: datetime | None,
    now: datetime,
    behaviour: Behaviour,
    *,
    by_order: bool,
) -> None:
    """May this line be cancelled now, this way? Paths [D
    cancel-an-order-from-the-integration-sandbox]: perpetual by order only; software
    subscription either way; new commerce by subscription only."""
    if by_order and entry.kind is Kind.NEW_COMMERCE:
        code = behaviour.wrong_path_code
        raise errors.WrongCancelPath(
            code=code,
            status=403 if code == 800019 else 400,
            description="Order cancellation is not supported for this offer; cancel the "
            "subscription instead.",
        )
    created = order.creation_date or now
    if behaviour.integration_sandbox and now > created + behaviour.integration_cancel_limit:
        raise errors.WindowPassed(
            description="Orders older than 60 days cannot be cancelled in the integration "
            "sandbox.",
        )
    if entry.kind is Kind.PERPETUAL:
        if now > created + behaviour.perpetual_window:
            raise _late(900117, behaviour.perpetual_window / timedelta(days=1))
        return
    if deadline is not None and now > deadline:
        window = behaviour.subscription_window / timedelta(days=1)
        raise _late(behaviour.late_subscription_code, window)


def status_after_cancel(order: Order) -> OrderStatus:
    """`cancelled` when every line went to quantity 0, else `completed` [D
    cancel-software-purchases]."""
    if all(line.quantity == 0 for line in order.line_items):
        return OrderStatus.CANCELLED
    return OrderStatus.COMPLETED


# --- carts ----------------------------------------------------------------------------------


def check_line(entry: CatalogueEntry | None, catalog_item_id: str, quantity: int,
               billing_cycle: str | None, term: str | None) -> None:
    """A cart line the catalogue can sell: a known item (10001 [D checkout-a-cart]), a quantity
    within the SKU's min/max (2002, docs/policies.md), a supported cycle and, for a
    subscription, one of its terms (inferred: no code published; 400 without one)."""
    if entry is None:
        raise errors.BadRequest(
            code=10001, description=f"Invalid catalog item id {catalog_item_id}"
        )
    if not entry.minimum_quantity <= quantity <= entry.maximum_quantity:
        raise errors.BadRequest(
            code=2002,
            description=f"Quantity {quantity} is outside the allowed range "
            f"{entry.minimum_quantity}-{entry.maximum_quantity}.",
        )
    if billing_cycle not in entry.billing_cycles:
        raise errors.BadRequest(
            description=f"Billing cycle {billing_cycle} is not supported; supported: "
            + ", ".join(entry.billing_cycles),
        )
    if entry.terms and term not in entry.terms:
        raise errors.BadRequest(
            description=f"Term duration {term} is not available; available: "
            + ", ".join(entry.terms),
        )
    if not entry.terms and term:
        raise errors.BadRequest(description="Perpetual software has no term duration.")
