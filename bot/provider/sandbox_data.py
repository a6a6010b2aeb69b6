"""The sandbox's world: its persistent records, the license catalogue and the seeded demo data.

Kept apart from `sandbox.py` so the rules read on their own. The records are pydantic models
because the sandbox saves its world as JSON (`state_path`) and must read it back unchanged.
Seeded dates are relative to the clock's "now" when the world is created: a fresh demo always
has subscriptions added hours and days ago (inside Microsoft's 7-day windows) next to old ones.
Every term renews (a monthly one is assumed unless configured) and reopens the windows, so an
old subscription is seeded whole months and about two weeks ago, mid-term whatever the day —
except Nordwind's ProPlus, about four days into a new monthly term (1100 days).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from bot.core.domain import (
    LicenceType,
    License,
    LicenseLine,
    NewTenantOrder,
    ProviderTask,
    Subscription,
    Tenant,
    TenantStatus,
)

# --- records (what the sandbox saves) --------------------------------------------------------


class SubscriptionRecord(BaseModel):
    subscription: Subscription
    parent_id: int | None = None
    #: (when, seats from then on); the source of usage statistics and billing peaks.
    history: list[tuple[datetime, int]] = Field(default_factory=list)
    #: Cancelled subscriptions stay in the record (for statistics) but no longer exist.
    deleted_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None


class TaskRecord(BaseModel):
    """A provider task plus what it will do to the world when it completes."""

    task: ProviderTask
    kind: str
    ends_at: datetime
    subscription_id: int | None = None
    parent_id: int | None = None
    license_id: int | None = None
    quantity: int | None = None
    lines: list[LicenseLine] = Field(default_factory=list)
    fails: bool = False


class TenantRecord(BaseModel):
    tenant: Tenant
    licenses: dict[int, License]
    subdomain: str | None = None
    renew_automatic: bool = True
    delete_at_expiration: bool = False
    service_status: str = "ok"
    subscriptions: dict[int, SubscriptionRecord] = Field(default_factory=dict)
    tasks: dict[int, TaskRecord] = Field(default_factory=dict)


#: Where the sandbox's orders are paid by default; OVHcloud's `url` leads to its own order page
#: (the playground serves one: `SandboxProvider.order_url`).
ORDER_URL = "https://sandbox.invalid/order/{order_id}"


class OrderRecord(BaseModel):
    order_id: int
    order: NewTenantOrder
    placed_at: datetime
    status: str = "notPaid"  # see sandbox_orders
    paid_at: datetime | None = None
    url: str = ""
    #: The license group the order created, once paid.
    service_name: str | None = None


class World(BaseModel):
    version: int = 1
    tenants: dict[str, TenantRecord] = Field(default_factory=dict)
    next_subscription_id: int = 480_200
    next_task_id: int = 9_100_001
    next_order_id: int = 231_000_001
    orders: dict[int, OrderRecord] = Field(default_factory=dict)


# --- the license catalogue -------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    """A license as the sandbox sells it. `plan_code` and `monthly_price` (EUR, excl. VAT) only
    feed the sandbox's order cart: OVHcloud publishes neither for csp2, so both are demo values.
    `addon_for` lists the licenses an ADDON can be attached to."""

    id: int
    name: str
    plan_code: str
    monthly_price: float
    licence_type: str = LicenceType.NON_SPECIFIC
    limit: int | None = None
    new_seats_allowed: bool = True
    new_subscriptions_allowed: bool = True
    addon_for: tuple[int, ...] = ()

    def license(self) -> License:
        return License(
            id=self.id,
            name=self.name,
            licence_type=self.licence_type,
            limit=self.limit,
            new_seats_allowed=self.new_seats_allowed,
            new_subscriptions_allowed=self.new_subscriptions_allowed,
        )


BUSINESS_BASIC = 10010
BUSINESS_STANDARD = 10011
BUSINESS_PREMIUM = 10012
OFFICE_E1 = 10020
OFFICE_E3 = 10021
OFFICE_E5 = 10022
EXCHANGE_PLAN1 = 10030
APPS_FOR_BUSINESS = 10031  # no new subscriptions, existing ones may still grow
PROPLUS_LEGACY = 10032  # frozen: neither new subscriptions nor new seats
TEAMS_AUDIO_CONFERENCING = 10040  # ADDON
EXCHANGE_ARCHIVING = 10041  # ADDON

# Microsoft caps the Business SKUs at 300 seats; OVHcloud exposes caps as `limit`.
CATALOGUE: dict[int, CatalogueEntry] = {
    e.id: e
    for e in (
        CatalogueEntry(BUSINESS_BASIC, "Microsoft 365 Business Basic", "csp2-m365-business-basic",
                       5.60, limit=300),
        CatalogueEntry(BUSINESS_STANDARD, "Microsoft 365 Business Standard",
                       "csp2-m365-business-standard", 11.70, limit=300),
        CatalogueEntry(BUSINESS_PREMIUM, "Microsoft 365 Business Premium",
                       "csp2-m365-business-premium", 20.60, limit=300),
        CatalogueEntry(OFFICE_E1, "Office 365 E1", "csp2-o365-e1", 9.40),
        CatalogueEntry(OFFICE_E3, "Office 365 E3", "csp2-o365-e3", 22.00),
        CatalogueEntry(OFFICE_E5, "Office 365 E5", "csp2-o365-e5", 36.20),
        CatalogueEntry(EXCHANGE_PLAN1, "Exchange Online (Plan 1)", "csp2-exchange-online-plan1",
                       3.70),
        CatalogueEntry(APPS_FOR_BUSINESS, "Microsoft 365 Apps for business",
                       "csp2-m365-apps-business", 9.80, limit=300,
                       new_subscriptions_allowed=False),
        CatalogueEntry(PROPLUS_LEGACY, "Office 365 ProPlus", "csp2-o365-proplus", 11.10,
                       new_seats_allowed=False, new_subscriptions_allowed=False),
        CatalogueEntry(TEAMS_AUDIO_CONFERENCING, "Microsoft Teams Audio Conferencing",
                       "csp2-teams-audio-conferencing", 1.90, licence_type=LicenceType.ADDON,
                       addon_for=(BUSINESS_BASIC, BUSINESS_STANDARD, BUSINESS_PREMIUM,
                                  OFFICE_E1, OFFICE_E3)),
        CatalogueEntry(EXCHANGE_ARCHIVING, "Exchange Online Archiving", "csp2-exchange-archiving",
                       2.80, licence_type=LicenceType.ADDON,
                       addon_for=(EXCHANGE_PLAN1, BUSINESS_BASIC, BUSINESS_STANDARD, OFFICE_E1)),
    )
}  # fmt: skip


def catalogue_licenses() -> dict[int, License]:
    return {lid: entry.license() for lid, entry in CATALOGUE.items()}


# --- the demo customers ----------------------------------------------------------------------

NORDWIND = "csp2-nw7k3q.o365.ovh"
CONTOSO = "csp2-cb2m8x.o365.ovh"
PADARIA = "csp2-pl5r2t.o365.ovh"
BELLAVISTA = "csp2-tb9d4v.o365.ovh"
VANDERBERG = "csp2-vb3h6n.o365.ovh"  # suspended, with an MPN issue

# Subscription ids of the seeded world, for tests and demos.
NORDWIND_E3 = 480101
NORDWIND_E3_AUDIO = 480102  # add-on of NORDWIND_E3
NORDWIND_BASIC = 480103  # added 2 days ago
NORDWIND_EXCHANGE = 480104  # added 3 hours ago
NORDWIND_PROPLUS = 480105  # legacy license: no new seats
CONTOSO_STANDARD = 480111  # added 5 days ago
CONTOSO_PREMIUM = 480112
CONTOSO_ARCHIVING = 480113  # add-on of CONTOSO_STANDARD, added yesterday
CONTOSO_APPS = 480114  # license closed to new subscriptions
PADARIA_BASIC = 480121
PADARIA_E1 = 480122  # added 6 days ago
BELLAVISTA_PREMIUM = 480131
BELLAVISTA_E5 = 480132  # added 12 hours ago
VANDERBERG_STANDARD = 480141


@dataclass(frozen=True)
class _SeedSub:
    id: int
    license_id: int
    quantity: int
    age: timedelta
    parent_id: int | None = None
    #: (age, seats) of earlier seat counts, oldest first, for a believable usage history.
    earlier: tuple[tuple[timedelta, int], ...] = ()


@dataclass(frozen=True)
class _SeedTenant:
    service_name: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    address: str
    city: str
    zip_code: str
    mpn_id: str
    age: timedelta
    subs: tuple[_SeedSub, ...]
    status: str = TenantStatus.OK
    mpn_issue_flag: str | None = None


def _d(days: float = 0, hours: float = 0) -> timedelta:
    return timedelta(days=days, hours=hours)


_SEED: tuple[_SeedTenant, ...] = (
    _SeedTenant(
        NORDWIND, "Nordwind Logistics B.V.", "Femke", "de Vries",
        "femke.devries@nordwind-logistics.nl", "+31.102345678", "Wilhelminakade 91",
        "Rotterdam", "3072 AP", "6180342", _d(1390),
        (
            _SeedSub(NORDWIND_E3, OFFICE_E3, 12, _d(410), earlier=((_d(410), 10), (_d(40), 12))),
            _SeedSub(NORDWIND_E3_AUDIO, TEAMS_AUDIO_CONFERENCING, 5, _d(300),
                     parent_id=NORDWIND_E3),
            _SeedSub(NORDWIND_BASIC, BUSINESS_BASIC, 25, _d(2, 3)),
            _SeedSub(NORDWIND_EXCHANGE, EXCHANGE_PLAN1, 40, _d(hours=3)),
            _SeedSub(NORDWIND_PROPLUS, PROPLUS_LEGACY, 8, _d(1100)),
        ),
    ),
    _SeedTenant(
        CONTOSO, "Contoso Bakery GmbH", "Lukas", "Becker", "l.becker@contoso-baeckerei.de",
        "+49.8912345670", "Leopoldstraße 44", "München", "80802", "6180342", _d(800),
        (
            _SeedSub(CONTOSO_STANDARD, BUSINESS_STANDARD, 18, _d(5, 4),
                     earlier=((_d(5, 4), 15), (_d(1, 2), 18))),
            _SeedSub(CONTOSO_PREMIUM, BUSINESS_PREMIUM, 4, _d(200)),
            _SeedSub(CONTOSO_ARCHIVING, EXCHANGE_ARCHIVING, 3, _d(1), parent_id=CONTOSO_STANDARD),
            _SeedSub(CONTOSO_APPS, APPS_FOR_BUSINESS, 6, _d(500)),
        ),
    ),
    _SeedTenant(
        PADARIA, "Padaria Atlântico Lda", "Inês", "Carvalho", "ines.carvalho@padaria-atlantico.pt",
        "+351.223456789", "Rua de Santa Catarina 112", "Porto", "4000-442", "6180342", _d(420),
        (
            _SeedSub(PADARIA_BASIC, BUSINESS_BASIC, 9, _d(45)),
            _SeedSub(PADARIA_E1, OFFICE_E1, 3, _d(6, 5)),
        ),
    ),
    _SeedTenant(
        BELLAVISTA, "Trattoria Bellavista S.r.l.", "Giulia", "Romano",
        "giulia.romano@bellavista-firenze.it", "+39.0552345678", "Via dei Neri 27", "Firenze",
        "50122", "6180342", _d(900),
        (
            _SeedSub(BELLAVISTA_PREMIUM, BUSINESS_PREMIUM, 7, _d(745)),
            _SeedSub(BELLAVISTA_E5, OFFICE_E5, 2, _d(hours=12)),
        ),
    ),
    _SeedTenant(
        VANDERBERG, "Van der Berg Architecten", "Joost", "van der Berg",
        "joost@vdberg-architecten.nl", "+31.302345678", "Oudegracht 210", "Utrecht", "3511 NR",
        "6180342", _d(1000),
        (_SeedSub(VANDERBERG_STANDARD, BUSINESS_STANDARD, 5, _d(600)),),
        status=TenantStatus.SUSPENDED, mpn_issue_flag="mpnIdNotIndirectReseller",
    ),
)  # fmt: skip


def seed_world(now: datetime, status_of: Callable[[int], str] = lambda _sid: "ok") -> World:
    """The demo world as it looks at `now`; `status_of` gives each subscription's status."""
    world = World()
    for seed in _SEED:
        created = now - seed.age
        tenant = Tenant(
            service_name=seed.service_name,
            display_name=seed.display_name,
            first_name=seed.first_name,
            last_name=seed.last_name,
            email=seed.email,
            phone=seed.phone,
            address=seed.address,
            city=seed.city,
            zip_code=seed.zip_code,
            mpn_id=seed.mpn_id,
            creation_date=created,
            status=seed.status,
            mpn_issue_flag=seed.mpn_issue_flag,
            has_accepted_new_mca=seed.status == TenantStatus.OK,
        )
        record = TenantRecord(
            tenant=tenant,
            licenses=catalogue_licenses(),
            service_status="unPaid" if seed.status == TenantStatus.SUSPENDED else "ok",
        )
        for sub in seed.subs:
            history = [(now - age, seats) for age, seats in sub.earlier] or [
                (now - sub.age, sub.quantity)
            ]
            record.subscriptions[sub.id] = SubscriptionRecord(
                subscription=Subscription(
                    id=sub.id,
                    license_id=sub.license_id,
                    quantity=sub.quantity,
                    status=status_of(sub.id),
                    creation_date=now - sub.age,
                    last_update=history[-1][0],
                ),
                parent_id=sub.parent_id,
                history=history,
            )
        world.tenants[seed.service_name] = record
    return world
