"""The Partner Center sandbox's world: its records, the software catalogue and the seeded customers.

Ids have Microsoft's shapes [D product-resources]: products 12 characters (`DG7GMGF0FKZV`), SKUs
4 per product (`0003`), availabilities 12 (`DG7GMGF0DWMS`); where the docs give a real example
it is used, the other ids are made up in the same shape (marked inferred). Availability ids
change over time (`availability_id`): the generation-0 id is the documented one, later
generations are derived from it, so old orders keep the ids they were bought with.

Each license group of the CSP2 sandbox (`bot.provider.sandbox_data`) has a matching customer,
by company name and by tenant: `CUSTOMER_OF_LICENSE_GROUP`. Seeded dates are relative to the
clock's "now" when the world is created, so a fresh demo always has purchases inside and
outside each window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from bot.partner_center.catalog import CatalogItemId, TargetView
from bot.partner_center.customers import Address, BillingProfile, CompanyProfile, Customer
from bot.partner_center.orders import Cart, CartLineItem, CheckoutResult, Order
from bot.partner_center.software import Subscription
from bot.provider import sandbox_data as csp2

# --- records (what the sandbox saves) --------------------------------------------------------


class OrderRecord(BaseModel):
    order: Order
    #: When the order reaches `completed` (or `pending_po_upload`); None once it did.
    completes_at: datetime | None = None
    #: When `GET …/orders` starts listing it: up to 15 minutes late [D purchase-catalog-items].
    listed_at: datetime


class CartRecord(BaseModel):
    cart: Cart
    #: The first checkout's answer: a repeat returns it [D checkout-a-cart].
    checkout: CheckoutResult | None = None


class CustomerRecord(BaseModel):
    customer: Customer
    currency: str = "EUR"
    carts: dict[str, CartRecord] = Field(default_factory=dict)
    orders: dict[str, OrderRecord] = Field(default_factory=dict)
    subscriptions: dict[str, Subscription] = Field(default_factory=dict)


class Replay(BaseModel):
    """The first answer to a write with a given MS-RequestId (inferred from "idempotency")."""

    op: str
    result: dict[str, Any]


class World(BaseModel):
    version: int = 1
    #: The catalogue's generation 0 starts here; see `availability_id`.
    catalog_epoch: datetime
    catalog_shift: int = 0
    customers: dict[str, CustomerRecord] = Field(default_factory=dict)
    replays: dict[str, Replay] = Field(default_factory=dict)


# --- the catalogue ---------------------------------------------------------------------------


class Kind(StrEnum):
    PERPETUAL = "perpetual"
    SUBSCRIPTION = "software_subscription"
    NEW_COMMERCE = "new_commerce"  # a license, not software: only for the wrong-path rules


@dataclass(frozen=True)
class CatalogueEntry:
    product_id: str
    sku_id: str
    #: The generation-0 availability id.
    availability_id: str
    title: str
    sku_title: str
    kind: Kind
    #: Terms of a subscription (`P1Y`/`P3Y` for software [D csp-software-subscriptions]).
    terms: tuple[str, ...] = ()
    billing_cycles: tuple[str, ...] = ("one_time",)
    minimum_quantity: int = 1
    maximum_quantity: int = 1000
    #: Orders of it wait in `pending_po_upload` [D pending-po-upload].
    needs_po: bool = False

    @property
    def views(self) -> tuple[TargetView, ...]:
        if self.kind is Kind.PERPETUAL:
            return (TargetView.SOFTWARE, TargetView.SOFTWARE_PERPETUAL)
        if self.kind is Kind.SUBSCRIPTION:
            return (TargetView.SOFTWARE, TargetView.SOFTWARE_SUBSCRIPTIONS)
        return ()

    @property
    def product_type(self) -> dict[str, Any]:
        if self.kind is Kind.NEW_COMMERCE:
            return {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}
        # Software subscriptions: {id: Software, displayName: Software} [D
        # get-all-of-a-customer-s-subscriptions]; the perpetual subType is inferred.
        software = {"id": "Software", "displayName": "Software"}
        if self.kind is Kind.PERPETUAL:
            return {**software, "subType": {"id": "Perpetual", "displayName": "Perpetual"}}
        return software


BIZTALK = "DG7GMGF0DWM3"
IDENTITY_MANAGER_CAL = "DG7GMGF0DWT0"
ACCESS_LTSC = "DG7GMGF0D7FV"
EXCEL_LTSC = "DG7GMGF0D7FT"
SQL_ENTERPRISE = "DG7GMGF0FKZV"
RDS_CAL = "DG7GMGF0DVSV"
WINDOWS_SERVER_1Y = "DG7GMGF0M7XB"  # inferred id
BUSINESS_BASIC_NCE = "CFQ7TTC0LH18"  # inferred id (new-commerce shape)

CATALOGUE: tuple[CatalogueEntry, ...] = (
    # Perpetual: [D make-a-one-time-purchase examples]; billingCycle one_time, no term.
    CatalogueEntry(BIZTALK, "0002", "DG7GMGF0DT1M", "BizTalk Server 2016",
                   "BizTalk Server 2016 Branch", Kind.PERPETUAL, maximum_quantity=100),
    CatalogueEntry(IDENTITY_MANAGER_CAL, "0001", "DG7GMGF0DSQR", "Identity Manager 2016",
                   "Identity Manager 2016 User CAL", Kind.PERPETUAL, maximum_quantity=10000),
    # Access / Excel LTSC 2021 set pending_po_upload [D pending-po-upload]; SKU and
    # availability ids inferred.
    CatalogueEntry(ACCESS_LTSC, "0002", "DG7GMGF0D7G0", "Access LTSC 2021",
                   "Access LTSC Professional 2021", Kind.PERPETUAL, needs_po=True),
    CatalogueEntry(EXCEL_LTSC, "0002", "DG7GMGF0D7G1", "Excel LTSC 2021",
                   "Excel LTSC for Mac 2021", Kind.PERPETUAL, needs_po=True),
    # Software subscriptions: 3-year SKUs bill annual or triennial; RDS CAL 2022 may bill
    # monthly [D csp-software-subscriptions].
    CatalogueEntry(SQL_ENTERPRISE, "0003", "DG7GMGF0DWMS", "SQL Server 2019 Enterprise",
                   "SQL Server Enterprise - 2 Core License Pack - 3 year", Kind.SUBSCRIPTION,
                   terms=("P3Y",), billing_cycles=("annual", "triennial")),
    CatalogueEntry(RDS_CAL, "000P", "DG7GMGF0F3Q9", "Windows Server 2022 Remote Desktop Services",
                   "Windows Server 2022 Remote Desktop Services - User CAL - 3 year",
                   Kind.SUBSCRIPTION, terms=("P3Y",),
                   billing_cycles=("monthly", "annual", "triennial"), maximum_quantity=5000),
    # A one-year software subscription: ids and cycles inferred.
    CatalogueEntry(WINDOWS_SERVER_1Y, "0001", "DG7GMGF0M80C", "Windows Server 2022 Standard",
                   "Windows Server 2022 Standard - 2 Core License Pack - 1 year",
                   Kind.SUBSCRIPTION, terms=("P1Y",), billing_cycles=("monthly", "annual")),
    # New commerce (a license): capped at 300 seats (docs/policies.md); ids inferred.
    CatalogueEntry(BUSINESS_BASIC_NCE, "0001", "CFQ7TTC0LH1G", "Microsoft 365 Business Basic",
                   "Microsoft 365 Business Basic", Kind.NEW_COMMERCE, terms=("P1M", "P1Y"),
                   billing_cycles=("monthly", "annual"), maximum_quantity=300),
)  # fmt: skip

ENTRIES: dict[tuple[str, str], CatalogueEntry] = {(e.product_id, e.sku_id): e for e in CATALOGUE}

_ID_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXZ"


def availability_id(entry: CatalogueEntry, generation: int) -> str:
    """The availability id of `entry` in catalogue `generation` (0: the documented one). Ids
    keep the documented 8-character prefix and 12-character length (inferred)."""
    if generation <= 0:
        return entry.availability_id
    digest = hashlib.sha256(f"{entry.availability_id}:{generation}".encode()).digest()
    tail = "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:4])
    return entry.availability_id[:8] + tail


def catalog_item_id(entry: CatalogueEntry, generation: int) -> str:
    return str(CatalogItemId(entry.product_id, entry.sku_id, availability_id(entry, generation)))


def entry_of(offer_id: str | None) -> CatalogueEntry:
    """The catalogue entry an order line's `offerId` (a catalog item id) was bought from."""
    item = CatalogItemId.parse(offer_id or "::x")
    return ENTRIES[(item.product_id, item.sku_id)]


# --- the customers, one per CSP2 license group ------------------------------------------------

NORDWIND_TENANT = "5b0d3c1e-7f42-4a8e-9d61-2c8f4e7a9b10"
CONTOSO_TENANT = "9e4a61f2-3b7c-4d05-8a19-6f0e2d5c7b34"
PADARIA_TENANT = "c7f2a9d4-1e68-4b3a-a5c0-8d9e7f6b2a51"
BELLAVISTA_TENANT = "2a8c5e17-9d43-4f6b-b0e2-7c1a4d9f3e68"
VANDERBERG_TENANT = "e3b91f6a-5c2d-4a87-9e14-0b6d8c2f5a79"


@dataclass(frozen=True)
class SeedPurchase:
    product_id: str
    sku_id: str
    quantity: int
    age: timedelta
    term: str | None = None
    billing_cycle: str = "one_time"

    def cart_line(self) -> CartLineItem:
        """The line it was bought with, at the catalogue's first generation."""
        return CartLineItem(
            catalog_item_id=catalog_item_id(ENTRIES[(self.product_id, self.sku_id)], 0),
            quantity=self.quantity,
            billing_cycle=self.billing_cycle,
            term_duration=self.term,
        )


@dataclass(frozen=True)
class SeedCustomer:
    tenant_id: str
    license_group: str
    company_name: str
    domain: str
    country: str
    city: str
    email: str
    purchases: tuple[SeedPurchase, ...] = field(default=())


def _d(days: float = 0, hours: float = 0) -> timedelta:
    return timedelta(days=days, hours=hours)


SEED: tuple[SeedCustomer, ...] = (
    SeedCustomer(
        NORDWIND_TENANT, csp2.NORDWIND, "Nordwind Logistics B.V.",
        "nordwindlogistics.onmicrosoft.com", "NL", "Rotterdam",
        "femke.devries@nordwind-logistics.nl",
        (
            SeedPurchase(BIZTALK, "0002", 1, _d(3)),  # inside the perpetual window
            SeedPurchase(SQL_ENTERPRISE, "0003", 4, _d(40), "P3Y", "annual"),  # past its window
            SeedPurchase(BUSINESS_BASIC_NCE, "0001", 10, _d(2), "P1Y", "monthly"),  # a license
        ),
    ),
    SeedCustomer(
        CONTOSO_TENANT, csp2.CONTOSO, "Contoso Bakery GmbH", "contosobakery.onmicrosoft.com",
        "DE", "München", "l.becker@contoso-baeckerei.de",
        (
            SeedPurchase(RDS_CAL, "000P", 25, _d(2), "P3Y", "triennial"),  # inside its window
            SeedPurchase(IDENTITY_MANAGER_CAL, "0001", 50, _d(45)),  # past 30 days, within 60
        ),
    ),
    SeedCustomer(
        PADARIA_TENANT, csp2.PADARIA, "Padaria Atlântico Lda", "padariaatlantico.onmicrosoft.com",
        "PT", "Porto", "ines.carvalho@padaria-atlantico.pt",
        (SeedPurchase(BIZTALK, "0002", 1, _d(70)),),  # past 60 days
    ),
    SeedCustomer(
        BELLAVISTA_TENANT, csp2.BELLAVISTA, "Trattoria Bellavista S.r.l.",
        "trattoriabellavista.onmicrosoft.com", "IT", "Firenze",
        "giulia.romano@bellavista-firenze.it",
        (SeedPurchase(WINDOWS_SERVER_1Y, "0001", 2, _d(hours=6), "P1Y", "annual"),),
    ),
    SeedCustomer(
        VANDERBERG_TENANT, csp2.VANDERBERG, "Van der Berg Architecten",
        "vdbergarchitecten.onmicrosoft.com", "NL", "Utrecht", "joost@vdberg-architecten.nl",
    ),
)  # fmt: skip

#: The Partner Center customer (tenant GUID) of each CSP2 sandbox license group.
CUSTOMER_OF_LICENSE_GROUP: dict[str, str] = {s.license_group: s.tenant_id for s in SEED}


def seed_customer(seed: SeedCustomer, serial: int) -> Customer:
    address = Address(country=seed.country, city=seed.city)
    return Customer(
        id=seed.tenant_id,
        commerce_id=f"{serial:08x}-0000-4000-8000-{seed.tenant_id[-12:]}",
        company_profile=CompanyProfile(
            tenant_id=seed.tenant_id,
            domain=seed.domain,
            company_name=seed.company_name,
            address=address,
            email=seed.email,
        ),
        billing_profile=BillingProfile(
            company_name=seed.company_name, email=seed.email, default_address=address
        ),
        relationship_to_partner="reseller",
        allow_delegated_access=True,
        custom_domains=[],
        attributes={"objectType": "Customer"},
    )
