"""Domain models shared by the provider layer, the cache, the pipeline and the views.

Provider models mirror OVHcloud's `/saas/csp2` schema (camelCase on the wire, snake_case in
Python). They parse leniently: the API publishes no values for some strings (subscription
status, task function), so those stay plain `str`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

#: OVHcloud's API gives local time with its offset (`2025-01-09T11:20:52+01:00`, as pasted in
#: its guides); a datetime without one is read in that zone (inferred).
OVH_ZONE = ZoneInfo("Europe/Paris")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=OVH_ZONE)


#: A provider datetime: always timezone-aware, whatever the wire said.
WireDateTime = Annotated[datetime, AfterValidator(_aware)]


class WireModel(BaseModel):
    """A model that reads and writes OVHcloud's camelCase JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=False
    )

    def to_wire(self, *, exclude_none: bool = True) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=exclude_none)


# --- provider: tenants (license groups) -----------------------------------------------------


class TenantStatus(StrEnum):
    CREATING = "creating"
    IN_MAINTENANCE = "inMaintenance"
    OK = "ok"
    REOPENING = "reopening"
    SUSPENDED = "suspended"
    SUSPENDING = "suspending"


class TenantUpdate(WireModel):
    """The writable fields of an OfficeTenant (`PUT /saas/csp2/{serviceName}`)."""

    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    mpn_id: str | None = None


class Tenant(TenantUpdate):
    """OfficeTenant: one license group, i.e. one Microsoft tenant of one end customer."""

    service_name: str
    creation_date: WireDateTime | None = None
    status: str = TenantStatus.OK
    mpn_issue_flag: str | None = None
    has_accepted_new_mca: bool | None = Field(default=None, alias="hasAcceptedNewMCA")

    @property
    def label(self) -> str:
        return self.display_name or self.service_name


# --- provider: licenses, subscriptions, tasks ------------------------------------------------


class LicenceType(StrEnum):
    ADDON = "ADDON"
    NON_SPECIFIC = "NON-SPECIFIC"


class License(WireModel):
    """OfficeLicence: a product orderable in a license group."""

    id: int
    name: str
    licence_type: str = LicenceType.NON_SPECIFIC
    limit: int | None = None
    new_seats_allowed: bool = True
    new_subscriptions_allowed: bool = True

    @property
    def is_addon(self) -> bool:
        return self.licence_type == LicenceType.ADDON


class Subscription(WireModel):
    """OfficeSubscription: seats of one license in one license group.

    `status` is a free string (no published values; OVHcloud's Office family says `ok` for "in
    service"): `bot.policy.status` decides what it allows. `task_pending_id` is None when no
    task runs, whatever the wire said (see `_no_task`).
    """

    id: int
    license_id: int
    quantity: int
    status: str = "ok"
    creation_date: WireDateTime | None = None
    last_update: WireDateTime | None = None
    task_pending_id: int | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _any_status(cls, value: object) -> object:
        """A missing or null status reads as an empty string (shown as "no status")."""
        return "" if value is None else value

    @field_validator("task_pending_id", mode="before")
    @classmethod
    def _no_task(cls, value: object) -> object:
        """The one reading of "is a task running": OVHcloud types `taskPendingId` as a
        non-nullable long and sends 0 when none runs (every `/saas/csp2` schema 2020–2026; its
        control panel tests `taskPendingId !== 0`, its mocks give idle objects 0). Null and 0
        both mean "no task" and are kept as None, so rules, views and the cache ask only
        `is not None`."""
        if value is None or value == 0 or value == "0" or value == "":
            return None
        return value


class TaskStatus(StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (TaskStatus.DONE, TaskStatus.ERROR, TaskStatus.CANCELLED)


class ProviderTask(WireModel):
    """OfficeTask: every provider write is asynchronous and returns one of these."""

    id: int
    function: str = ""
    status: TaskStatus = TaskStatus.TODO
    todo_date: WireDateTime | None = None
    finish_date: WireDateTime | None = None


class UsagePeriod(StrEnum):
    LAST_WEEK = "lastWeek"
    LAST_MONTH = "lastMonth"
    LAST_QUARTER = "lastQuarter"
    LAST_YEAR = "lastYear"


class UsageLine(WireModel):
    """One licence's counts (`StatisticsLine` / `BillingStatisticsLine`): `peakCount` is the
    "maximum count of simultaneous activated licences", `endOfDayCount` the "count of
    activated licenses at the end of the day" (OVHcloud's schema). Every field is optional
    there: a line without a licence id or a peak cannot be used and is left out by sync."""

    licence_id: int | None = None
    licence_name: str = ""
    peak_count: int | None = None
    end_of_day_count: int | None = None

    @field_validator("licence_name", mode="before")
    @classmethod
    def _any_name(cls, value: object) -> object:
        return "" if value is None else value


_Day = date  # the field below is named `date`, as on the wire


class UsageStatistics(WireModel):
    """One day of `usageStatistics` (`Statistics`: `date` and its lines)."""

    date: _Day | None = None
    lines: list[UsageLine] = []


class BillingPeaks(WireModel):
    start_date: date | None = None
    end_date: date | None = None
    lines: list[UsageLine] = []


class Renew(WireModel):
    automatic: bool | None = None
    delete_at_expiration: bool | None = None
    forced: bool | None = None
    period: int | None = None


class ServiceInfo(WireModel):
    """services.Service: the billing side of a license group (expiry, renewal)."""

    status: str | None = None
    creation: date | None = None
    expiration: date | None = None
    engaged_up_to: date | None = None
    renewal_type: str | None = None
    renew: Renew | None = None
    contact_admin: str | None = None
    contact_billing: str | None = None
    contact_tech: str | None = None


# --- provider: ordering a new license group --------------------------------------------------


class CustomerContact(WireModel):
    """The end customer's contact; the Microsoft admin credentials are emailed to `email`."""

    first_name: str
    last_name: str
    email: str
    phone: str
    address: str
    city: str
    zip_code: str
    country: str


class LicenseLine(WireModel):
    license_id: int
    quantity: int = Field(ge=1)


class NewTenantOrder(WireModel):
    mpn_id: str
    subdomain: str | None = None
    contact: CustomerContact
    licenses: list[LicenseLine]
    #: The end customer's company name, shown as the license group's displayName.
    display_name: str | None = None


class TenantOrder(WireModel):
    """What ordering a new license group returns: an OVHcloud order (`order.Order`, the cart's
    checkout). OVHcloud's schema lets `orderId` and `url` be null, and names no service: the
    new license group is found later (bot/orders/delivery.py). `domains` are the order details'
    `domain` values other than "*", which may name the service (inferred)."""

    order_id: int | None = None
    url: str | None = None
    domains: list[str] = Field(default_factory=list)


# --- bot: requests, roles -------------------------------------------------------------------


class Role(StrEnum):
    """A role: the word stored and typed (`/csp roles grant @sam support`), what one holder is
    called, and the holders in the plural (for refusals: "… is for support agents"). A new role
    is one line here (and, where it gates something, its declaration at that door)."""

    holder: str
    holders: str

    def __new__(cls, value: str, holder: str = "", holders: str = "") -> Role:
        role = str.__new__(cls, value)
        role._value_ = value
        role.holder = holder or value
        role.holders = holders or value
        return role

    STAFF = "staff", "staff", "staff"
    SUPPORT = "support", "support agent", "support agents"
    ADMIN = "admin", "admin", "admins"
    #: Partner Center's Admin agent: cancels software and takes the route to its keys.
    ADMIN_AGENT = "admin_agent", "admin agent", "admin agents"


class RequestKind(StrEnum):
    ORDER = "order"
    SEATS = "seats"
    CANCEL = "cancel"
    REFUND = "refund"
    TENANT_EDIT = "tenant_edit"
    SOFTWARE_BUY = "software_buy"
    SOFTWARE_CANCEL = "software_cancel"


class RequestState(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NEEDS_ATTENTION = "needs_attention"
    #: Confirmed (and approved, where it needs it) for the start of the next window (`run_at`).
    SCHEDULED = "scheduled"
    # refund tickets
    APPROVED = "approved"
    FILED = "filed"
    RESOLVED = "resolved"

    @property
    def final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {
        RequestState.DONE,
        RequestState.REJECTED,
        RequestState.WITHDRAWN,
        RequestState.EXPIRED,
        RequestState.RESOLVED,
    }
)


class StepAction(StrEnum):
    """The provider writes a request can be made of; one step is one provider call."""

    ADD_SUBSCRIPTION = "add_subscription"
    CHANGE_QUANTITY = "change_quantity"
    DELETE_SUBSCRIPTION = "delete_subscription"
    ORDER_ADDON = "order_addon"
    ORDER_TENANT = "order_tenant"
    UPDATE_TENANT = "update_tenant"
    #: Partner Center (software): a cart and its checkout; an order PATCH to `cancelled`.
    BUY_SOFTWARE = "buy_software"
    CANCEL_SOFTWARE = "cancel_software"


class StepState(StrEnum):
    PENDING = "pending"  # not sent yet
    SENDING = "sending"  # about to be sent, or sent with no answer stored: outcome unknown
    RUNNING = "running"  # sent; the provider task is being tracked
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"  # sent, outcome unknown: a person must check


class RequestStep(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    seq: int
    action: StepAction
    params: dict[str, Any]
    state: StepState
    provider_task_id: int | None = None
    provider_query_id: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class Request(BaseModel):
    """A request as every part of the bot sees it; the row is the truth."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: RequestKind
    state: RequestState
    requester: str
    tenant: str | None = None
    subscription_id: int | None = None
    payload: dict[str, Any] = {}
    summary: str = ""
    needs_approval: bool = False
    deadline: datetime | None = None
    assignee: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    origin_channel: str | None = None
    card_channel: str | None = None
    card_ts: str | None = None
    approval_channel: str | None = None
    approval_ts: str | None = None
    error: str | None = None
    error_query_id: str | None = None
    attempts: int = 0
    #: When a request scheduled for the renewal is to be sent (None: as soon as it is queued).
    run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> str:
        """How people name a request: `#R42`."""
        return f"R{self.id}"


class Draft(BaseModel):
    """A reviewed form, not confirmed yet: it has no request number until it is confirmed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: RequestKind
    requester: str
    tenant: str | None = None
    subscription_id: int | None = None
    payload: dict[str, Any] = {}
    summary: str = ""
    needs_approval: bool = False
    deadline: datetime | None = None
    origin_channel: str | None = None
    #: Scheduled for the renewal: the request it becomes waits for that time.
    run_at: datetime | None = None
    confirmed_at: datetime | None = None
    #: The request this draft became, once confirmed.
    request_id: int | None = None
    created_at: datetime
