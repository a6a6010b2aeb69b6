"""An in-process CSP2 world: the embedded default backend, and the reference for the contract.

It keeps the rules OVHcloud enforces (license limits and flags, add-ons only through
`orderAddon`, one pending task per subscription) and its asynchrony: every write returns a task
that moves todo → doing → done over `task_duration` on an injectable clock, and the change shows
only when the task is done. Tasks advance lazily, at the start of every operation, so nothing
runs in the background and a test clock makes the world fully steppable.

For tests it records every operation (`calls`) and injects faults (`faults.set`), seeded so a
run is reproducible. `sandbox_server.py` serves the same object over OVHcloud's HTTP API.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import random
import string
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from pydantic import BaseModel

from bot.core.domain import (
    BillingPeaks,
    License,
    NewTenantOrder,
    ProviderTask,
    Renew,
    ServiceInfo,
    Subscription,
    TaskStatus,
    Tenant,
    TenantOrder,
    TenantStatus,
    TenantUpdate,
    UsagePeriod,
    UsageStatistics,
)
from bot.provider import sandbox_orders as orders
from bot.provider import sandbox_rules as rules
from bot.provider.base import NotFound, UnfillableConfiguration, named_domains
from bot.provider.cart_config import Requirement
from bot.provider.cart_config import plan as configuration_plan
from bot.provider.observe import observe
from bot.provider.sandbox_controls import (
    Faults,
    InjectedFault,
    ManualClock,
    SandboxCall,
    now_function,
)
from bot.provider.sandbox_conventions import OVHCLOUD, Conventions
from bot.provider.sandbox_data import (
    CATALOGUE,
    ORDER_URL,
    OrderRecord,
    SubscriptionRecord,
    TaskRecord,
    TenantRecord,
    World,
    catalogue_licenses,
    seed_world,
)

T = TypeVar("T")
P = ParamSpec("P")

#: What the sandbox's order cart asks of a new license group by default
#: (`order_requirements`), as `requiredConfiguration` entries. OVHcloud publishes no csp2
#: labels: these follow the control panel's order form (MPN ID, the end customer's contact,
#: an optional subdomain) in the cart's conventions, the contact as a `/me/contact`
#: (ovh/order-cart-examples docs/configuration.en.md). Inferred.
CONTACT_FIELDS = ["firstName", "lastName", "email", "phone", "address", "language", "legalForm"]
DEFAULT_REQUIREMENTS = (
    Requirement(label="mpnId", type="String"),
    Requirement(label="adminContact", type="/me/contact", fields=CONTACT_FIELDS),
    Requirement(label="subdomain", type="String", required=False),
    Requirement(label="displayName", type="String", required=False),
)
#: The other reading: every contact field a String label of its own.
STRING_REQUIREMENTS = (
    Requirement(label="mpnId", type="String"),
    *(
        Requirement(label=label, type="String")
        for label in ("email", "firstName", "lastName", "phone", "address", "city", "zipCode",
                      "country")
    ),
    Requirement(label="subdomain", type="String", required=False),
    Requirement(label="displayName", type="String", required=False),
)  # fmt: skip
#: The shapes the sandbox's cart catalogue takes (see cart_catalogue): a license-group offer
#: with the licences as options, or one offer per licence.
OPTIONS_SHAPE, ITEMS_SHAPE = "options", "items"


# --- the provider ---------------------------------------------------------------------------


def _operation(
    op: str, *, write: bool = False, body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> Callable[
    [Callable[Concatenate[SandboxProvider, P], T]],
    Callable[Concatenate[SandboxProvider, P], Coroutine[Any, Any, T]],
]:
    """Turn a synchronous rule into a provider operation named `op` (OVHcloud's own names:
    changeQuantity, orderAddon …): record it, delay or fail it as the faults say, advance the
    tasks, then act. The rule never awaits, so each operation is atomic for asyncio."""

    def wrap(fn: Callable[Concatenate[SandboxProvider, P], T]
             ) -> Callable[Concatenate[SandboxProvider, P], Coroutine[Any, Any, T]]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def operation(self: SandboxProvider, /, *args: P.args, **kwargs: P.kwargs) -> T:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            a = bound.arguments
            target = next((a[k] for k in _TARGETS if a.get(k) is not None), None)
            payload = body(a) if body else {}
            self.record(op, payload, service_name=a.get("service_name"), target=target)
            performed = self._perform(op, write, lambda: fn(self, *args, **kwargs))
            return self._answer(await observe(self, op, performed))

        return operation

    return wrap


_TARGETS = ("subscription_id", "task_id", "license_id")


def _ids(a: dict[str, Any]) -> dict[str, Any]:
    return {} if a.get("ids") is None else {"ids": list(a["ids"])}


class SandboxProvider:
    """A CspProvider over an in-memory world (optionally saved to `state_path` as JSON).

    `clock` is anything with `now() -> datetime` (e.g. `ManualClock`) or a callable; default
    the wall clock. `task_duration=timedelta(0)` finishes each task at the next operation.
    `conventions` says how it answers where OVHcloud's schema is silent (default: as OVHcloud
    does, see `sandbox_conventions`); its answers go through their wire form, so they are
    what OvhProvider would read from the sandbox's HTTP server.
    """

    def __init__(
        self,
        *,
        clock: Any = None,
        task_duration: timedelta = timedelta(seconds=20),
        seed: bool = True,
        state_path: str | Path | None = None,
        rng_seed: int = 202611,
        auto_pay: bool = False,
        cart_shape: str = OPTIONS_SHAPE,
        conventions: Conventions = OVHCLOUD,
    ) -> None:
        self.clock = clock
        self.conventions = conventions
        self.now = now_function(clock)
        self.task_duration = task_duration
        self.faults = Faults(random.Random(rng_seed))
        #: What the order cart requires; add a label no order can fill to test refusals.
        self.order_requirements: list[Requirement] = list(DEFAULT_REQUIREMENTS)
        #: Orders placed by `order_tenant` are paid at once (CSP_OVH_AUTO_PAY); the HTTP cart
        #: follows its checkout's `autoPayWithPreferredPaymentMethod` instead.
        self.auto_pay = auto_pay
        self.cart_shape = cart_shape
        #: Appended to the cart's product names: "" names offers as the licences are named;
        #: anything else leaves the bot to the plan-code map (CSP_OVH_PLAN_CODES).
        self.cart_name_suffix = ""
        #: The account's subsidiary (`GET /me`); a cart of another one cannot be assigned.
        self.subsidiary = "FR"
        #: False: checkouts answer `orderId: null` (the schema allows it).
        self.checkout_order_ids = True
        #: False: order details keep `domain: "*"` after delivery (see sandbox_orders).
        self.details_name_service = True
        #: Where an order is paid (`{order_id}` filled in): the playground serves such a page.
        self.order_url = ORDER_URL
        self._names = random.Random(rng_seed + 1)
        self._log: list[SandboxCall] = []
        self.state_path = Path(state_path) if state_path else None
        if self.state_path and self.state_path.exists():
            self.world = World.model_validate_json(self.state_path.read_text("utf-8"))
        else:
            self.world = seed_world(self.now(), conventions.status_of) if seed else World()
            self._save()

    # -- observation and control (tests, demos) ----------------------------------------------

    def record(
        self,
        op: str,
        payload: dict[str, Any] | None = None,
        *,
        service_name: str | None = None,
        target: int | None = None,
    ) -> None:
        self._log.append(SandboxCall(op, dict(payload or {}), service_name, target, self.now()))

    def calls(self, op: str) -> list[dict[str, Any]]:
        """The payloads of every call of `op`, in order (refused and failed calls included)."""
        return [c.payload for c in self._log if c.op == op]

    @property
    def call_log(self) -> list[SandboxCall]:
        return list(self._log)

    def clear_calls(self) -> None:
        self._log.clear()

    def settle(self) -> None:
        """Finish every pending task now, whatever the clock says."""
        now = self.now()
        for tenant in self.world.tenants.values():
            for rec in tenant.tasks.values():
                if not rec.task.status.finished and rec.ends_at > now:
                    rec.ends_at = now
        if self._advance():
            self._save()

    def patch_license(self, service_name: str, license_id: int, **changes: Any) -> License:
        """Change a license's flags or limit in one group."""
        tenant = self._tenant(service_name)
        tenant.licenses[license_id] = tenant.licenses[license_id].model_copy(update=changes)
        self._save()
        return tenant.licenses[license_id]

    # -- license groups ----------------------------------------------------------------------

    @_operation("listTenants")
    def list_tenants(self) -> list[str]:
        return sorted(self.world.tenants)

    @_operation("getTenant")
    def get_tenant(self, service_name: str) -> Tenant:
        return self._tenant(service_name).tenant.model_copy(deep=True)

    @_operation("updateTenant", write=True, body=lambda a: a["update"].to_wire())
    def update_tenant(self, service_name: str, update: TenantUpdate) -> None:
        rules.update_tenant(self._tenant(service_name), update)

    @_operation("serviceInfos")
    def service_infos(self, service_name: str) -> ServiceInfo:
        return rules.service_info(self._tenant(service_name), self.now())

    @_operation("updateServiceInfos", write=True, body=lambda a: {"renew": a["renew"].to_wire()})
    def update_service_infos(self, service_name: str, renew: Renew) -> None:
        """Only `renew` is writable (PUT …/serviceInfos)."""
        tenant = self._tenant(service_name)
        if renew.automatic is not None:
            tenant.renew_automatic = renew.automatic
        if renew.delete_at_expiration is not None:
            tenant.delete_at_expiration = renew.delete_at_expiration

    # -- orders (a new license group) ----------------------------------------------------

    @_operation("orderTenant", write=True, body=lambda a: a["order"].to_wire())
    def order_tenant(self, order: NewTenantOrder) -> TenantOrder:
        """Refuses, like the real cart, an order that cannot fill a required label; else
        checks out, paid when `auto_pay`."""
        _, gaps = configuration_plan(order, self.order_requirements)
        if gaps:
            raise UnfillableConfiguration(gaps, status=400, error_class="Client::BadRequest")
        record = self._checkout(order, paid=self.auto_pay)
        order_id = record.order_id if self.checkout_order_ids else None
        return TenantOrder(order_id=order_id, url=record.url if order_id else None)

    @_operation("orderTenant", write=True, body=lambda a: a["order"].to_wire())
    def place_order(self, order: NewTenantOrder, paid: bool) -> OrderRecord:
        """The order of a checked-out cart (the HTTP cart checked its configuration)."""
        return self._checkout(order, paid=paid)

    @_operation("payOrder", write=True, body=lambda a: {"orderId": a["order_id"]})
    def pay_order(self, order_id: int) -> None:
        """What paying the order at its URL does: the license group is created."""
        record = orders.order_of(self.world, order_id)
        orders.must_be_unpaid(record)
        self._deliver(record)

    @_operation("cancelOrder", write=True, body=lambda a: {"orderId": a["order_id"]})
    def cancel_order(self, order_id: int) -> None:
        record = orders.order_of(self.world, order_id)
        orders.must_be_unpaid(record)
        record.status = orders.CANCELLED

    @_operation("orderStatus", body=lambda a: {"orderId": a["order_id"]})
    def order_status(self, order_id: int) -> str:
        return orders.refresh(self.world, orders.order_of(self.world, order_id))

    @_operation("orderDetails", body=lambda a: {"orderId": a["order_id"]})
    def order_details(self, order_id: int) -> list[dict[str, Any]]:
        record = orders.order_of(self.world, order_id)
        orders.refresh(self.world, record)
        return [
            orders.detail_json(record, i, names_service=self.details_name_service)
            for i in range(1, len(record.order.licenses) + 1)
        ]

    async def order_domains(self, order_id: int) -> list[str]:
        details = await self.order_details(order_id)
        return named_domains(d["domain"] for d in details)

    def unpaid_orders(self) -> list[int]:
        """Orders waiting for payment, oldest first (tests, the playground)."""
        return [i for i, r in sorted(self.world.orders.items()) if r.status == orders.NOT_PAID]

    # -- licenses ----------------------------------------------------------------------------

    @_operation("listOrderableLicenses")
    def list_orderable_licenses(self, service_name: str) -> list[int]:
        return sorted(self._tenant(service_name).licenses)

    @_operation("getLicense")
    def get_license(self, service_name: str, license_id: int) -> License:
        lic = self._tenant(service_name).licenses.get(license_id)
        if lic is None:
            raise _not_found(f"The requested object (id = {license_id}) does not exist")
        return lic.model_copy()

    @_operation("getLicenses", body=_ids)
    def get_licenses(self, service_name: str, ids: Sequence[int] | None = None) -> list[License]:
        licenses = self._tenant(service_name).licenses
        wanted = sorted(licenses) if ids is None else ids
        return [licenses[i].model_copy() for i in wanted if i in licenses]

    # -- subscriptions -----------------------------------------------------------------------

    @_operation("listSubscriptions")
    def list_subscriptions(self, service_name: str) -> list[int]:
        return sorted(self._live(service_name))

    @_operation("getSubscription")
    def get_subscription(self, service_name: str, subscription_id: int) -> Subscription:
        return self._sub(service_name, subscription_id).subscription.model_copy()

    @_operation("getSubscriptions", body=_ids)
    def get_subscriptions(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[Subscription]:
        live = self._live(service_name)
        wanted = sorted(live) if ids is None else ids
        return [live[i].subscription.model_copy() for i in wanted if i in live]

    @_operation(
        "addSubscription",
        write=True,
        body=lambda a: {"licenseId": a["license_id"], "quantity": a["quantity"]},
    )
    def add_subscription(self, service_name: str, license_id: int, quantity: int) -> ProviderTask:
        tenant = self._tenant(service_name)
        rules.check_add_subscription(tenant, license_id, quantity)
        return self._new_task(
            tenant,
            "addSubscription",
            license_id=license_id,
            quantity=quantity,
            subscription_id=self._next_subscription_id(),
        )

    @_operation("changeQuantity", write=True, body=lambda a: {"quantity": a["quantity"]})
    def change_quantity(
        self, service_name: str, subscription_id: int, quantity: int
    ) -> ProviderTask:
        tenant, sub = self._tenant(service_name), self._sub(service_name, subscription_id)
        rules.check_change_quantity(tenant, sub, quantity)
        return self._new_task(
            tenant,
            "changeQuantity",
            subscription_id=subscription_id,
            license_id=sub.subscription.license_id,
            quantity=quantity,
        )

    @_operation("deleteSubscription", write=True)
    def delete_subscription(self, service_name: str, subscription_id: int) -> ProviderTask:
        tenant, sub = self._tenant(service_name), self._sub(service_name, subscription_id)
        rules.check_delete(tenant, sub)
        return self._new_task(
            tenant,
            "deleteSubscription",
            subscription_id=subscription_id,
            license_id=sub.subscription.license_id,
        )

    @_operation("listAddonSubscriptions")
    def list_addon_subscriptions(self, service_name: str, subscription_id: int) -> list[int]:
        self._sub(service_name, subscription_id)
        live = self._live(service_name)
        return sorted(i for i, r in live.items() if r.parent_id == subscription_id)

    @_operation("availableAddonLicenses")
    def available_addon_licenses(self, service_name: str, subscription_id: int) -> list[int]:
        tenant = self._tenant(service_name)
        return rules.available_addons(tenant, self._sub(service_name, subscription_id))

    @_operation(
        "orderAddon",
        write=True,
        body=lambda a: {"licenseId": a["license_id"], "quantity": a["quantity"]},
    )
    def order_addon(
        self, service_name: str, subscription_id: int, license_id: int, quantity: int
    ) -> ProviderTask:
        tenant, parent = self._tenant(service_name), self._sub(service_name, subscription_id)
        rules.check_order_addon(tenant, parent, license_id, quantity)
        return self._new_task(
            tenant,
            "orderAddon",
            subscription_id=self._next_subscription_id(),
            parent_id=subscription_id,
            license_id=license_id,
            quantity=quantity,
        )

    # -- tasks -------------------------------------------------------------------------------

    @_operation("listTasks")
    def list_tasks(self, service_name: str) -> list[int]:
        """Unfinished tasks (and finished ones too, in conventions that list them)."""
        return sorted(self._listed_tasks(service_name))

    @_operation("getTask")
    def get_task(self, service_name: str, task_id: int) -> ProviderTask:
        rec = self._readable_tasks(service_name).get(task_id)
        if rec is None:
            raise _not_found(f"The requested object (id = {task_id}) does not exist")
        return rec.task.model_copy()

    @_operation("getTasks", body=_ids)
    def get_tasks(self, service_name: str, ids: Sequence[int] | None = None) -> list[ProviderTask]:
        tasks = self._readable_tasks(service_name)
        if ids is None:
            ids = sorted(self._listed_tasks(service_name))
        return [tasks[i].task.model_copy() for i in ids if i in tasks]

    # -- statistics --------------------------------------------------------------------------

    @_operation("usageStatistics", body=lambda a: {"timePeriod": str(a["period"])})
    def usage_statistics(
        self, service_name: str, period: UsagePeriod = UsagePeriod.LAST_MONTH
    ) -> list[UsageStatistics]:
        return rules.usage_statistics(self._tenant(service_name), UsagePeriod(period), self.now())

    @_operation("billingPeriodPeaks")
    def billing_period_peaks(self, service_name: str) -> BillingPeaks:
        return rules.billing_peaks(self._tenant(service_name), self.now())

    def batch_reads_off(self) -> str | None:
        return None  # in-process reads are whole lists; only the HTTP server refuses batches

    def retry_batch_reads(self) -> None:
        pass

    async def close(self) -> None:
        self._save()

    # -- machinery ---------------------------------------------------------------------------

    async def _perform(self, op: str, write: bool, action: Callable[[], T]) -> T:
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        fault = self.faults.take(op)
        changed = self._advance()
        try:
            if fault is not None and not fault.applied:
                raise fault.build()
            result = action()
            if fault is not None:
                changed = True
                raise fault.build()
            return result
        finally:
            if write or changed:
                self._save()

    def _answer(self, result: T) -> T:
        """What the HTTP server would send, read back: the bot sees the same objects from
        both backends (datetimes in OVHcloud's zone, `taskPendingId` as the wire gives it)."""
        wire = self.conventions.wire
        if isinstance(result, BaseModel):
            return type(result).model_validate(wire(result))
        if isinstance(result, list) and result and isinstance(result[0], BaseModel):
            # a list of models read back is the same T as the list it replaces
            return cast(T, [type(item).model_validate(wire(item)) for item in result])
        return result

    def _readable_tasks(self, service_name: str) -> dict[int, TaskRecord]:
        """Tasks `…/task/{id}` still answers for: finished ones only if the conventions
        keep them."""
        tasks = self._tenant(service_name).tasks
        if self.conventions.keep_finished_tasks:
            return tasks
        return {i: r for i, r in tasks.items() if not r.task.status.finished}

    def _listed_tasks(self, service_name: str) -> list[int]:
        readable = self._readable_tasks(service_name)
        if self.conventions.list_finished_tasks:
            return list(readable)
        return [i for i, r in readable.items() if not r.task.status.finished]

    def _tenant(self, service_name: str) -> TenantRecord:
        try:
            return self.world.tenants[service_name]
        except KeyError:
            raise _not_found(f"This service does not exist: {service_name}") from None

    def _live(self, service_name: str) -> dict[int, SubscriptionRecord]:
        subs = self._tenant(service_name).subscriptions
        return {i: r for i, r in subs.items() if r.live}

    def _sub(self, service_name: str, subscription_id: int) -> SubscriptionRecord:
        rec = self._live(service_name).get(subscription_id)
        if rec is None:
            raise _not_found(f"The requested object (id = {subscription_id}) does not exist")
        return rec

    def _next_subscription_id(self) -> int:
        self.world.next_subscription_id += 1
        return self.world.next_subscription_id

    def _new_task(self, tenant: TenantRecord, kind: str, **what: Any) -> ProviderTask:
        now = self.now()
        task_id = self.world.next_task_id
        self.world.next_task_id += 1
        task = ProviderTask(id=task_id, function=kind, status=TaskStatus.TODO, todo_date=now)
        rec = TaskRecord(
            task=task,
            kind=kind,
            ends_at=now + self.task_duration,
            fails=self.faults.take_task_error(),
            **what,
        )
        tenant.tasks[task_id] = rec
        rules.mark_pending(tenant, rec)
        return task.model_copy()

    def _advance(self) -> bool:
        """Move every task whose time has come (todo → doing after a third of its duration,
        then done or error); apply the finished ones. True when anything moved."""
        now = self.now()
        changed = False
        for tenant in self.world.tenants.values():
            for rec in sorted(tenant.tasks.values(), key=lambda r: r.task.id):
                if rec.task.status.finished:
                    continue
                start = rec.task.todo_date or now
                if now >= rec.ends_at:
                    rules.finish_task(tenant, rec, self.conventions.in_service_status)
                    changed = True
                elif (
                    rec.task.status == TaskStatus.TODO and now >= start + (rec.ends_at - start) / 3
                ):
                    rec.task.status = TaskStatus.DOING
                    changed = True
        return changed

    def _checkout(self, order: NewTenantOrder, *, paid: bool) -> OrderRecord:
        rules.check_order(self.world, order)
        record = orders.open_order(self.world, order, self.now(), self.order_url)
        if paid:
            self._deliver(record)
        return record

    def _deliver(self, record: OrderRecord) -> None:
        record.paid_at = self.now()
        record.status = orders.DELIVERING
        record.service_name = self._create_tenant(record.order)

    def _create_tenant(self, order: NewTenantOrder) -> str:
        now, contact = self.now(), order.contact
        service_name = self._new_service_name()
        tenant = Tenant(
            service_name=service_name,
            display_name=order.display_name or f"{contact.first_name} {contact.last_name}",
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            phone=contact.phone,
            address=contact.address,
            city=contact.city,
            zip_code=contact.zip_code,
            mpn_id=order.mpn_id,
            creation_date=now,
            status=TenantStatus.CREATING,
            has_accepted_new_mca=True,
        )
        record = TenantRecord(
            tenant=tenant,
            licenses=catalogue_licenses(),
            subdomain=order.subdomain,
            service_status="inCreation",
        )
        self.world.tenants[service_name] = record
        # Reserve the subscription ids now so they are stable across a restart.
        lines = [line.model_copy() for line in order.licenses]
        first_id = self.world.next_subscription_id + 1
        self.world.next_subscription_id += len(lines)
        self._new_task(record, "createTenant", subscription_id=first_id, lines=lines)
        return service_name

    def _new_service_name(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        while True:
            name = "csp2-" + "".join(self._names.choices(alphabet, k=6)) + ".o365.ovh"
            if name not in self.world.tenants:
                return name

    def _save(self) -> None:
        """Write the world atomically (temp file + rename): a crash never leaves half a file."""
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.state_path.parent, prefix=".sandbox-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.world.model_dump_json(indent=1))
            os.replace(tmp, self.state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _not_found(message: str) -> NotFound:
    return NotFound(message, status=404, error_class="Client::NotFound")


__all__ = [
    "CATALOGUE",
    "DEFAULT_REQUIREMENTS",
    "Faults",
    "InjectedFault",
    "ManualClock",
    "SandboxCall",
    "SandboxProvider",
]
