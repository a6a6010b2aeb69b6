"""The rules of the sandbox's CSP2 world, as pure functions over its records.

These are the rules OVHcloud's API and guides state (see ovh-csp2-api.md, "Business rules"):
`limit` caps the seats of a license in a group, `newSeatsAllowed=false` forbids adding seats,
`newSubscriptionsAllowed=false` forbids new subscriptions, ADDON licenses come only through
`orderAddon`, a subscription with a pending task refuses changes (409), quantities are ≥ 1.
Seats promised by pending tasks count against `limit`, so two quick orders cannot overshoot it.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta

from bot.core.domain import (
    BillingPeaks,
    NewTenantOrder,
    Renew,
    ServiceInfo,
    Subscription,
    TaskStatus,
    TenantStatus,
    TenantUpdate,
    UsageLine,
    UsagePeriod,
    UsageStatistics,
)
from bot.provider.base import BadParameters, Conflict, ExpiredResource
from bot.provider.sandbox_data import (
    CATALOGUE,
    SubscriptionRecord,
    TaskRecord,
    TenantRecord,
    World,
)

_CREATES = ("addSubscription", "orderAddon")


def _bad(message: str) -> BadParameters:
    return BadParameters(message, status=400, error_class="Client::BadRequest")


def _conflict(message: str) -> Conflict:
    return Conflict(message, status=409, error_class="Client::Conflict")


# --- checks before a write ------------------------------------------------------------------


def check_writable(tenant: TenantRecord) -> None:
    if tenant.service_status == "expired":
        raise ExpiredResource(
            "This service is expired", status=460, error_class="Client::ExpiredResource"
        )
    if tenant.tenant.status != TenantStatus.OK:
        raise _conflict(f"The license group is {tenant.tenant.status}: no change is possible now")


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise _bad(f"Invalid quantity {quantity}: at least 1 license is required")


def _check_free(sub: SubscriptionRecord) -> None:
    pending = sub.subscription.task_pending_id
    if pending is not None:
        raise _conflict(
            f"A task ({pending}) is already pending on subscription {sub.subscription.id}"
        )


def committed_seats(tenant: TenantRecord, license_id: int) -> int:
    """Seats of a license once every pending task is done (pending cancellations still count)."""
    total = 0
    for rec in tenant.subscriptions.values():
        if rec.live and rec.subscription.license_id == license_id:
            total += rec.subscription.quantity
    for task in tenant.tasks.values():
        if task.task.status.finished or task.license_id != license_id:
            continue
        if task.kind in _CREATES:
            total += task.quantity or 0
        elif task.kind == "changeQuantity" and task.subscription_id in tenant.subscriptions:
            total += (task.quantity or 0) - tenant.subscriptions[
                task.subscription_id
            ].subscription.quantity
    return total


def _check_limit(tenant: TenantRecord, license_id: int, extra: int) -> None:
    lic = tenant.licenses[license_id]
    if lic.limit is None or extra <= 0:
        return
    after = committed_seats(tenant, license_id) + extra
    if after > lic.limit:
        raise _bad(
            f"{lic.name} is limited to {lic.limit} licenses in this group ({after} requested)"
        )


def check_add_subscription(tenant: TenantRecord, license_id: int, quantity: int) -> None:
    check_writable(tenant)
    _check_quantity(quantity)
    lic = tenant.licenses.get(license_id)
    if lic is None:
        raise _bad(f"License {license_id} is not orderable in this license group")
    if lic.is_addon:
        raise _bad(f"{lic.name} is an add-on: order it with orderAddon on its parent subscription")
    if not lic.new_subscriptions_allowed:
        raise _bad(f"New subscriptions of {lic.name} are no longer allowed")
    _check_limit(tenant, license_id, quantity)


def check_change_quantity(tenant: TenantRecord, sub: SubscriptionRecord, quantity: int) -> None:
    check_writable(tenant)
    _check_quantity(quantity)
    _check_free(sub)
    lic = tenant.licenses[sub.subscription.license_id]
    added = quantity - sub.subscription.quantity
    if added > 0 and not lic.new_seats_allowed:
        raise _bad(f"New seats of {lic.name} are no longer allowed")
    _check_limit(tenant, lic.id, added)


def check_delete(tenant: TenantRecord, sub: SubscriptionRecord) -> None:
    check_writable(tenant)
    _check_free(sub)


def available_addons(tenant: TenantRecord, parent: SubscriptionRecord) -> list[int]:
    if parent.parent_id is not None:
        return []
    parent_license = parent.subscription.license_id
    return sorted(
        lid
        for lid, lic in tenant.licenses.items()
        if lic.is_addon and lid in CATALOGUE and parent_license in CATALOGUE[lid].addon_for
    )


def check_order_addon(
    tenant: TenantRecord, parent: SubscriptionRecord, license_id: int, quantity: int
) -> None:
    check_writable(tenant)
    _check_quantity(quantity)
    _check_free(parent)
    if license_id not in available_addons(tenant, parent):
        raise _bad(
            f"License {license_id} is not an add-on available for subscription "
            f"{parent.subscription.id}"
        )
    lic = tenant.licenses[license_id]
    if not lic.new_subscriptions_allowed:
        raise _bad(f"New subscriptions of {lic.name} are no longer allowed")
    _check_limit(tenant, license_id, quantity)


def check_order(world: World, order: NewTenantOrder) -> None:
    if not order.mpn_id.strip():
        raise _bad("An MPN ID enrolled as Microsoft indirect reseller is required")
    if not order.licenses:
        raise _bad("An order needs at least one license")
    if "@" not in order.contact.email:
        raise _bad(f"Invalid email address: {order.contact.email}")
    for line in order.licenses:
        entry = CATALOGUE.get(line.license_id)
        if entry is None:
            raise _bad(f"License {line.license_id} is not orderable")
        if entry.licence_type == "ADDON" or not entry.new_subscriptions_allowed:
            raise _bad(f"{entry.name} cannot be ordered with a new license group")
        _check_quantity(line.quantity)
        if entry.limit is not None and line.quantity > entry.limit:
            raise _bad(f"{entry.name} is limited to {entry.limit} licenses")
    if order.subdomain and any(t.subdomain == order.subdomain for t in world.tenants.values()):
        raise _bad(f"The subdomain {order.subdomain} is not available")


def update_tenant(tenant: TenantRecord, update: TenantUpdate) -> None:
    changes = update.model_dump(exclude_none=True)
    if "email" in changes and "@" not in changes["email"]:
        raise _bad(f"Invalid email address: {changes['email']}")
    if "mpn_id" in changes and not str(changes["mpn_id"]).strip():
        raise _bad("The MPN ID cannot be empty")
    tenant.tenant = tenant.tenant.model_copy(update=changes)


# --- tasks ----------------------------------------------------------------------------------


def _given(rec: TaskRecord, value: int | None, what: str) -> int:
    """A field of the task its kind always sets (the rule that made the task filled it in)."""
    if value is None:
        raise ValueError(f"sandbox task {rec.task.id} ({rec.kind}) has no {what}")
    return value


def mark_pending(tenant: TenantRecord, rec: TaskRecord) -> None:
    """The subscription a task works on refuses other changes until the task ends."""
    target = rec.parent_id if rec.kind == "orderAddon" else rec.subscription_id
    if rec.kind in ("changeQuantity", "deleteSubscription", "orderAddon"):
        sid = _given(rec, target, "subscription")
        tenant.subscriptions[sid].subscription.task_pending_id = rec.task.id


def _clear_pending(tenant: TenantRecord, task_id: int) -> None:
    for sub in tenant.subscriptions.values():
        if sub.subscription.task_pending_id == task_id:
            sub.subscription.task_pending_id = None


def _create(
    tenant: TenantRecord,
    sid: int,
    license_id: int,
    quantity: int,
    at: datetime,
    status: str,
    parent_id: int | None = None,
) -> None:
    tenant.subscriptions[sid] = SubscriptionRecord(
        subscription=Subscription(
            id=sid, license_id=license_id, quantity=quantity, status=status, creation_date=at,
            last_update=at,
        ),
        parent_id=parent_id,
        history=[(at, quantity)],
    )


def _cancel(rec: SubscriptionRecord, at: datetime) -> None:
    rec.deleted_at = at
    rec.subscription.last_update = at
    rec.subscription.status = "deleted"
    rec.history.append((at, 0))


def finish_task(tenant: TenantRecord, rec: TaskRecord, status: str) -> None:
    """End a task at its `ends_at`: in `error` when it was set to fail, else apply its change.
    A subscription it creates is in `status` (the conventions' word for "in service")."""
    at = rec.ends_at
    rec.task.finish_date = at
    _clear_pending(tenant, rec.task.id)
    if rec.fails:
        rec.task.status = TaskStatus.ERROR
        if rec.kind == "createTenant":
            tenant.tenant.status = TenantStatus.OK
            tenant.service_status = "ok"
        return
    rec.task.status = TaskStatus.DONE
    if rec.kind in _CREATES:
        _create(tenant, _given(rec, rec.subscription_id, "subscription_id"),
                _given(rec, rec.license_id, "license_id"), _given(rec, rec.quantity, "quantity"),
                at, status, rec.parent_id)
    elif rec.kind == "changeQuantity":
        sub = tenant.subscriptions[_given(rec, rec.subscription_id, "subscription_id")]
        if sub.live:
            quantity = _given(rec, rec.quantity, "quantity")
            sub.subscription.quantity = quantity
            sub.subscription.last_update = at
            sub.history.append((at, quantity))
    elif rec.kind == "deleteSubscription":
        for sub in tenant.subscriptions.values():
            is_target = sub.subscription.id == rec.subscription_id
            if sub.live and (is_target or sub.parent_id == rec.subscription_id):
                _cancel(sub, at)
    elif rec.kind == "createTenant":
        for offset, line in enumerate(rec.lines):
            first = _given(rec, rec.subscription_id, "subscription_id")
            _create(tenant, first + offset, line.license_id, line.quantity, at, status)
        tenant.tenant.status = TenantStatus.OK
        tenant.service_status = "ok"


# --- billing and statistics -----------------------------------------------------------------


def _anniversary_after(start: date, today: date) -> date:
    years = 1
    while True:
        try:
            candidate = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            candidate = date(start.year + years, 3, 1)
        if candidate > today:
            return candidate
        years += 1


def service_info(tenant: TenantRecord, now: datetime) -> ServiceInfo:
    """Yearly engagement renewed automatically: expiry is the next anniversary of creation."""
    created = (tenant.tenant.creation_date or now).date()
    nic = f"rs{zlib.crc32(tenant.tenant.service_name.encode()) % 90000 + 10000}-ovh"
    return ServiceInfo(
        status=tenant.service_status,
        creation=created,
        expiration=_anniversary_after(created, now.date()),
        engaged_up_to=None,
        renewal_type="automaticV2016" if tenant.renew_automatic else "manual",
        renew=Renew(
            automatic=tenant.renew_automatic,
            delete_at_expiration=tenant.delete_at_expiration,
            forced=False,
            period=12,
        ),
        contact_admin=nic,
        contact_billing=nic,
        contact_tech=nic,
    )


def _seats_at(recs: list[SubscriptionRecord], when: datetime) -> int:
    total = 0
    for rec in recs:
        seats = 0
        for at, count in rec.history:
            if at <= when:
                seats = count
        total += seats
    return total


def _by_license(tenant: TenantRecord) -> dict[int, list[SubscriptionRecord]]:
    grouped: dict[int, list[SubscriptionRecord]] = {}
    for rec in tenant.subscriptions.values():
        grouped.setdefault(rec.subscription.license_id, []).append(rec)
    return grouped


def _peak(recs: list[SubscriptionRecord], start: datetime, end: datetime) -> int:
    moments = [start] + [at for r in recs for at, _ in r.history if start < at <= end]
    return max(_seats_at(recs, m) for m in moments)


def _name(tenant: TenantRecord, license_id: int) -> str:
    lic = tenant.licenses.get(license_id)
    return lic.name if lic else str(license_id)


_PERIOD_DAYS = {
    UsagePeriod.LAST_WEEK: 7,
    UsagePeriod.LAST_MONTH: 30,
    UsagePeriod.LAST_QUARTER: 90,
    UsagePeriod.LAST_YEAR: 365,
}


def usage_statistics(
    tenant: TenantRecord, period: UsagePeriod, now: datetime
) -> list[UsageStatistics]:
    """One entry per day (ending today), with each license's peak and end-of-day seats."""
    grouped = _by_license(tenant)
    days = _PERIOD_DAYS[period]
    result = []
    for back in range(days - 1, -1, -1):
        day = now.date() - timedelta(days=back)
        start = datetime.combine(day, time.min, tzinfo=now.tzinfo)
        end = min(start + timedelta(days=1) - timedelta(microseconds=1), now)
        lines = []
        for lid, recs in sorted(grouped.items()):
            peak = _peak(recs, start, end)
            if peak:
                lines.append(
                    UsageLine(
                        licence_id=lid,
                        licence_name=_name(tenant, lid),
                        peak_count=peak,
                        end_of_day_count=_seats_at(recs, end),
                    )
                )
        result.append(UsageStatistics(date=day, lines=lines))
    return result


def billing_peaks(tenant: TenantRecord, now: datetime) -> BillingPeaks:
    """Peaks of the current monthly billing period (from the 1st of the month to now)."""
    start = datetime.combine(now.date().replace(day=1), time.min, tzinfo=now.tzinfo)
    lines = []
    for lid, recs in sorted(_by_license(tenant).items()):
        peak = _peak(recs, start, now)
        if peak:
            lines.append(
                UsageLine(licence_id=lid, licence_name=_name(tenant, lid), peak_count=peak)
            )
    return BillingPeaks(start_date=start.date(), end_date=now.date(), lines=lines)
