"""Tables. Every schema change comes with an Alembic migration in `store/migrations/versions/`.

Times are stored as UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


# --- requests and their audit trail (migration 0001) ----------------------------------------


class RequestRow(Base):
    """One user request (order, seat change, cancellation, refund ticket, tenant edit)."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), index=True)
    requester: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str | None] = mapped_column(String(255), index=True)
    subscription_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    assignee: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    origin_channel: Mapped[str | None] = mapped_column(String(64))
    card_channel: Mapped[str | None] = mapped_column(String(64))
    #: A message ts, or while it is being posted `posting:<time>:<nonce>:<process>` (0004).
    card_ts: Mapped[str | None] = mapped_column(String(64))
    approval_channel: Mapped[str | None] = mapped_column(String(64))
    approval_ts: Mapped[str | None] = mapped_column(String(64))
    #: The `updated_at` of the version each card last showed (None: unknown). A card older
    #: than its request — Slack refused the update — is redrawn by the card repair (0004).
    card_shown_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approval_shown_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    error_query_id: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: A request scheduled for the renewal: when the worker sends it (0008).
    run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    #: When its requester was reminded, the day before `run_at` (0008).
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class RequestStepRow(Base):
    """One provider write of a request (an order has one per license line).

    A step is the unit of "exactly once": it records that a call is being sent before it is
    sent, so a worker that dies mid-call leaves a trace instead of a duplicate.
    """

    __tablename__ = "request_steps"
    __table_args__ = (UniqueConstraint("request_id", "seq", name="uq_request_steps_seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(32), default="pending")
    provider_task_id: Mapped[int | None] = mapped_column(BigInteger)
    provider_query_id: Mapped[str | None] = mapped_column(String(128))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class AuditEventRow(Base):
    """Append-only: who did what, when, with before/after and the provider's ids."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL"), index=True
    )
    tenant: Mapped[str | None] = mapped_column(String(255))
    subscription_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    before_state: Mapped[str | None] = mapped_column(String(32))
    after_state: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    provider_task_id: Mapped[int | None] = mapped_column(BigInteger)
    provider_query_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class RoleGrantRow(Base):
    __tablename__ = "role_grants"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonLanguageRow(Base):
    """The language a person chose with `/csp language` (migration 0009); without a row,
    their Slack locale or the workspace's `CSP_LANGUAGE` is used."""

    __tablename__ = "person_languages"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    chosen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReminderRow(Base):
    """A reminder sent before an approval deadline; the primary key makes it once only."""

    __tablename__ = "request_reminders"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    hours_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DigestRow(Base):
    """A daily digest, claimed by the replica that sends it: the primary key makes it once a
    day (0008)."""

    __tablename__ = "digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: When it was posted; None while it is being sent (or when sending failed midway).
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DraftRow(Base):
    """A form someone reviewed but has not confirmed (migration 0009).

    Kept apart from `requests`, so a draft takes no request number: Review → Back → Review
    leaves nothing in the lists or the audit trail. Confirm turns it into a request (numbered
    then) and records which one in `request_id`, so a second Confirm can say "already
    submitted". Drafts older than a day are deleted by the drafts loop.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    requester: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str | None] = mapped_column(String(255))
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The provider writes the request will make: [[action, params], …].
    steps: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    origin_channel: Mapped[str | None] = mapped_column(String(64))
    #: Scheduled for the renewal (the request it becomes waits for that time).
    run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Set by the one Confirm that wins; the request it became follows in `request_id`.
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


# --- the local state cache (migration 0002) --------------------------------------------------


class TenantRow(Base):
    __tablename__ = "tenants"
    #: Typeahead scans the search text of every group for a fragment: this index covers the
    #: columns it returns, so the scan reads the index and not the wide rows.
    __table_args__ = (
        Index("ix_tenants_search", "search_text", "service_name", "display_name", "status"),
        # PostgreSQL only (SQLite's ranges use the index above: byte order is its default
        # collation; its LIKE scans are cheap enough). "Starts with" as an index range
        # whatever the database's collation (the operators `~>=~` / `~<~` of
        # `store.search`), and "contains" through trigrams (pg_trgm, migration 0010).
        Index(
            "ix_tenants_search_prefix",
            "search_text",
            postgresql_ops={"search_text": "varchar_pattern_ops"},
            info={"only_on": "postgresql"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_tenants_search_trigrams",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ).ddl_if(dialect="postgresql"),
    )

    service_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    mpn_id: Mapped[str | None] = mapped_column(String(64))
    mpn_issue_flag: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(255))
    zip_code: Mapped[str | None] = mapped_column(String(32))
    creation_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    has_accepted_new_mca: Mapped[bool | None] = mapped_column(Boolean)
    service_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: OVHcloud's billingPeriodPeaks: the current billing period's peak per licence.
    usage_peaks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: When usageStatistics and billingPeriodPeaks were last asked for (0005): they are read
    #: at most every CSP_USAGE_REFRESH_HOURS, not at every sync.
    usage_read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    search_text: Mapped[str] = mapped_column(String(600), default="")
    sync_error: Mapped[str | None] = mapped_column(Text)
    sync_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LicenseRow(Base):
    __tablename__ = "licenses"

    service_name: Mapped[str] = mapped_column(
        ForeignKey("tenants.service_name", ondelete="CASCADE"), primary_key=True
    )
    license_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(255))
    licence_type: Mapped[str] = mapped_column(String(32))
    limit: Mapped[int | None] = mapped_column(Integer)
    new_seats_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    new_subscriptions_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_tenant_license", "service_name", "license_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    service_name: Mapped[str] = mapped_column(
        ForeignKey("tenants.service_name", ondelete="CASCADE"), index=True
    )
    license_id: Mapped[int] = mapped_column(BigInteger, index=True)
    license_name: Mapped[str] = mapped_column(String(255), default="")
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    creation_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime)
    task_pending_id: Mapped[int | None] = mapped_column(BigInteger)
    search_text: Mapped[str] = mapped_column(String(600), default="", index=True)
    #: License ids OVHcloud lets this (main) subscription take as add-ons
    #: (`availableAddonLicenses`, migration 0003); null until a sync has read it.
    available_addon_licenses: Mapped[list[int] | None] = mapped_column(JSON)
    #: Seats the seat_batches of this subscription account for: sync records a batch only for
    #: an increase beyond it, so our own requests' batches are never counted twice.
    batched_seats: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProviderTaskRow(Base):
    __tablename__ = "provider_tasks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    service_name: Mapped[str] = mapped_column(String(255), index=True)
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    function: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))
    todo_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finish_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SeatBatchRow(Base):
    """Seats added at one time: each batch has its own reduction window (docs/policies.md)."""

    __tablename__ = "seat_batches"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(BigInteger, index=True)
    seats: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(16))  # "request" | "sync" | "creation"
    request_id: Mapped[int | None] = mapped_column(BigInteger)


class UsageDayRow(Base):
    """One day of OVHcloud's usageStatistics for one licence of a group (migration 0005):
    the peak and end-of-day counts of activated licences."""

    __tablename__ = "usage_days"

    service_name: Mapped[str] = mapped_column(
        ForeignKey("tenants.service_name", ondelete="CASCADE"), primary_key=True
    )
    license_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    license_name: Mapped[str] = mapped_column(String(255), default="")
    peak_count: Mapped[int] = mapped_column(Integer)
    end_of_day_count: Mapped[int | None] = mapped_column(Integer)


class SyncRunRow(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(255))  # "all" or a service name
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tenants_ok: Mapped[int] = mapped_column(Integer, default=0)
    tenants_failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


# --- software through Partner Center (migration 0006) ---------------------------------------


class SoftwareCustomerRow(Base):
    """A Partner Center customer (keyed by its tenant GUID), as the software sync read it."""

    __tablename__ = "software_customers"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    domain: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(8))
    #: The CSP2 license group of the same company, when one matches by name.
    license_group: Mapped[str | None] = mapped_column(String(255))
    search_text: Mapped[str] = mapped_column(String(600), default="")
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SoftwareProductRow(Base):
    """One SKU of the software catalogue: what the buy form offers (availabilities, whose ids
    change, are read again just before buying)."""

    __tablename__ = "software_products"

    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sku_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_title: Mapped[str] = mapped_column(String(255), default="")
    sku_title: Mapped[str] = mapped_column(String(255), default="")
    #: "perpetual" or "software_subscription".
    kind: Mapped[str] = mapped_column(String(32))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    billing_cycles: Mapped[list[str]] = mapped_column(JSON, default=list)
    minimum_quantity: Mapped[int] = mapped_column(Integer, default=1)
    maximum_quantity: Mapped[int | None] = mapped_column(Integer)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SoftwarePurchaseRow(Base):
    """One line of a software order, with its subscription when it is a software
    subscription. `bought_by`, `request_id` and `reminded_at` are ours: sync never clears
    them."""

    __tablename__ = "software_purchases"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(128), default="")
    product_id: Mapped[str] = mapped_column(String(32), default="")
    sku_id: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    term_duration: Mapped[str | None] = mapped_column(String(16))
    billing_cycle: Mapped[str | None] = mapped_column(String(16))
    order_status: Mapped[str] = mapped_column(String(32), default="")
    subscription_id: Mapped[str | None] = mapped_column(String(64))
    subscription_status: Mapped[str | None] = mapped_column(String(32))
    purchased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancellable_until: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    bought_by: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
