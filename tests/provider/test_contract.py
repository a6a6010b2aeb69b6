"""The CspProvider contract: what the bot may rely on, whichever backend it talks to.

Every test runs twice (see conftest): in-process sandbox, and OvhProvider over HTTP to the
sandbox server. Faults, batch reads and auth live in test_faults.py and test_http.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import policy
from bot.core.domain import (
    LicenceType,
    Renew,
    TaskStatus,
    TenantStatus,
    TenantUpdate,
    UsagePeriod,
)
from bot.provider.base import (
    BadParameters,
    Conflict,
    CspProvider,
    NotFound,
)
from bot.provider.sandbox_data import (
    APPS_FOR_BUSINESS,
    BELLAVISTA,
    BELLAVISTA_E5,
    BUSINESS_BASIC,
    CONTOSO,
    CONTOSO_APPS,
    CONTOSO_ARCHIVING,
    CONTOSO_STANDARD,
    EXCHANGE_ARCHIVING,
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    NORDWIND_E3_AUDIO,
    NORDWIND_EXCHANGE,
    NORDWIND_PROPLUS,
    OFFICE_E1,
    OFFICE_E3,
    PADARIA,
    PADARIA_E1,
    PROPLUS_LEGACY,
    TEAMS_AUDIO_CONFERENCING,
    VANDERBERG,
    VANDERBERG_STANDARD,
)
from tests.provider.conftest import TASK_DURATION, Backend

NORDWIND_SUBS = [
    NORDWIND_E3,
    NORDWIND_E3_AUDIO,
    NORDWIND_BASIC,
    NORDWIND_EXCHANGE,
    NORDWIND_PROPLUS,
]


# --- reads ----------------------------------------------------------------------------------


async def test_both_backends_implement_the_protocol(backend: Backend) -> None:
    assert isinstance(backend.provider, CspProvider)


async def test_lists_and_reads_seeded_license_groups(backend: Backend) -> None:
    p = backend.provider
    names = await p.list_tenants()
    assert {NORDWIND, CONTOSO, PADARIA, BELLAVISTA, VANDERBERG} <= set(names)
    tenant = await p.get_tenant(NORDWIND)
    assert tenant.service_name == NORDWIND
    assert tenant.display_name == "Nordwind Logistics B.V."
    assert tenant.status == TenantStatus.OK and tenant.mpn_id
    suspended = await p.get_tenant(VANDERBERG)
    assert suspended.status == TenantStatus.SUSPENDED and suspended.mpn_issue_flag


async def test_licenses_carry_type_limit_and_flags(backend: Backend) -> None:
    p = backend.provider
    ids = await p.list_orderable_licenses(NORDWIND)
    licenses = {lic.id: lic for lic in await p.get_licenses(NORDWIND)}
    assert sorted(licenses) == sorted(ids)
    assert licenses[BUSINESS_BASIC].name == "Microsoft 365 Business Basic"
    assert licenses[BUSINESS_BASIC].limit == 300
    assert licenses[TEAMS_AUDIO_CONFERENCING].licence_type == LicenceType.ADDON
    assert not licenses[APPS_FOR_BUSINESS].new_subscriptions_allowed
    assert not licenses[PROPLUS_LEGACY].new_seats_allowed
    some = await p.get_licenses(NORDWIND, [OFFICE_E3, BUSINESS_BASIC])
    assert [lic.id for lic in some] == [OFFICE_E3, BUSINESS_BASIC]


async def test_subscriptions_are_listed_and_read_in_bulk(backend: Backend) -> None:
    p = backend.provider
    assert sorted(await p.list_subscriptions(NORDWIND)) == sorted(NORDWIND_SUBS)
    subs = {s.id: s for s in await p.get_subscriptions(NORDWIND)}
    assert sorted(subs) == sorted(NORDWIND_SUBS)
    e3 = await p.get_subscription(NORDWIND, NORDWIND_E3)
    assert (e3.license_id, e3.quantity, e3.task_pending_id) == (OFFICE_E3, 12, None)
    now = backend.clock.now()
    assert now - subs[NORDWIND_EXCHANGE].creation_date < timedelta(days=1)
    assert now - subs[NORDWIND_BASIC].creation_date < timedelta(days=7)
    assert now - subs[NORDWIND_E3].creation_date > timedelta(days=300)


async def test_idle_subscriptions_have_no_task_and_every_status_is_in_service(
    backend: Backend,
) -> None:
    """Whatever the wire says for "idle" (0 or null) and "in service" (ok, active, …), the bot
    reads no task and a status its rules let through; datetimes are always aware."""
    subs = []
    for group in (NORDWIND, CONTOSO, PADARIA, BELLAVISTA):
        subs += await backend.provider.get_subscriptions(group)
    assert subs and all(s.task_pending_id is None for s in subs)
    assert all(policy.in_service(s.status) for s in subs)
    statuses = {s.status for s in subs}
    assert backend.conventions.in_service_status in statuses
    assert set(backend.conventions.seeded_statuses.values()) <= statuses
    assert all(s.creation_date.tzinfo is not None for s in subs)
    one = await backend.provider.get_subscription(PADARIA, PADARIA_E1)
    assert one.task_pending_id is None
    assert one.status == backend.conventions.status_of(PADARIA_E1)


async def test_new_subscriptions_carry_the_in_service_status(backend: Backend) -> None:
    p = backend.provider
    before = set(await p.list_subscriptions(PADARIA))
    await p.add_subscription(PADARIA, OFFICE_E3, 1)
    backend.finish_tasks()
    (new,) = set(await p.list_subscriptions(PADARIA)) - before
    sub = await p.get_subscription(PADARIA, new)
    assert (sub.status, sub.task_pending_id) == (backend.conventions.in_service_status, None)


async def test_finished_tasks_are_listed_only_where_the_conventions_list_them(
    backend: Backend,
) -> None:
    p = backend.provider
    task = await p.change_quantity(NORDWIND, NORDWIND_BASIC, 26)
    assert await p.list_tasks(NORDWIND) == [task.id]
    backend.finish_tasks()
    listed = await p.list_tasks(NORDWIND)
    assert listed == ([task.id] if backend.conventions.list_finished_tasks else [])
    assert (await p.get_subscription(NORDWIND, NORDWIND_BASIC)).quantity == 26


async def test_bulk_read_leaves_out_ids_that_do_not_exist(backend: Backend) -> None:
    subs = await backend.provider.get_subscriptions(NORDWIND, [NORDWIND_E3, 1, NORDWIND_BASIC])
    assert [s.id for s in subs] == [NORDWIND_E3, NORDWIND_BASIC]


async def test_addons_of_a_subscription(backend: Backend) -> None:
    p = backend.provider
    assert await p.list_addon_subscriptions(NORDWIND, NORDWIND_E3) == [NORDWIND_E3_AUDIO]
    assert await p.available_addon_licenses(NORDWIND, NORDWIND_E3) == [TEAMS_AUDIO_CONFERENCING]
    assert await p.available_addon_licenses(BELLAVISTA, BELLAVISTA_E5) == []
    assert set(await p.available_addon_licenses(CONTOSO, CONTOSO_STANDARD)) == {
        TEAMS_AUDIO_CONFERENCING,
        EXCHANGE_ARCHIVING,
    }


async def test_statistics_follow_the_subscriptions(backend: Backend) -> None:
    p = backend.provider
    week = await p.usage_statistics(NORDWIND, UsagePeriod.LAST_WEEK)
    assert len(week) == 7 and week[-1].date == backend.clock.now().date()
    today = {line.licence_id: line for line in week[-1].lines}
    assert today[OFFICE_E3].peak_count == 12 and today[OFFICE_E3].end_of_day_count == 12
    assert today[OFFICE_E3].licence_name == "Office 365 E3"
    before_basic = {line.licence_id for line in week[0].lines}
    assert BUSINESS_BASIC not in before_basic  # added two days ago
    peaks = await p.billing_period_peaks(NORDWIND)
    assert {line.licence_id: line.peak_count for line in peaks.lines}[BUSINESS_BASIC] == 25
    assert peaks.start_date.day == 1


async def test_service_infos_renew_yearly(backend: Backend) -> None:
    info = await backend.provider.service_infos(NORDWIND)
    today = backend.clock.now().date()
    assert info.renew is not None and info.renew.automatic is True
    assert today < info.expiration <= today + timedelta(days=366)
    assert info.creation < today


async def test_update_tenant_writes_the_given_fields_only(backend: Backend) -> None:
    p = backend.provider
    await p.update_tenant(NORDWIND, TenantUpdate(phone="+31.109999999", city="Schiedam"))
    tenant = await p.get_tenant(NORDWIND)
    assert (tenant.phone, tenant.city) == ("+31.109999999", "Schiedam")
    assert tenant.display_name == "Nordwind Logistics B.V."
    assert backend.sandbox.calls("updateTenant") == [{"phone": "+31.109999999", "city": "Schiedam"}]
    with pytest.raises(BadParameters):
        await p.update_tenant(NORDWIND, TenantUpdate(email="not-an-address"))


async def test_renewal_can_be_switched_off(backend: Backend) -> None:
    await backend.provider.update_service_infos(CONTOSO, Renew(automatic=False))
    info = await backend.provider.service_infos(CONTOSO)
    assert info.renew.automatic is False and info.renewal_type == "manual"
    assert backend.sandbox.calls("updateServiceInfos") == [{"renew": {"automatic": False}}]


# --- writes are tasks -----------------------------------------------------------------------


async def test_change_quantity_shows_only_when_its_task_is_done(backend: Backend) -> None:
    p = backend.provider
    task = await p.change_quantity(NORDWIND, NORDWIND_E3, 13)
    assert task.status == TaskStatus.TODO
    assert backend.sandbox.calls("changeQuantity") == [{"quantity": 13}]
    sub = await p.get_subscription(NORDWIND, NORDWIND_E3)
    assert (sub.quantity, sub.task_pending_id) == (12, task.id)
    assert await p.list_tasks(NORDWIND) == [task.id]
    backend.clock.advance(TASK_DURATION / 2)
    assert (await p.get_task(NORDWIND, task.id)).status == TaskStatus.DOING
    backend.finish_tasks()
    done = await backend.finished(NORDWIND, task.id)
    assert done is None or done.status == TaskStatus.DONE
    sub = await p.get_subscription(NORDWIND, NORDWIND_E3)
    assert (sub.quantity, sub.task_pending_id) == (13, None)
    listed = [task.id] if backend.conventions.list_finished_tasks else []
    assert await p.list_tasks(NORDWIND) == listed
    kept = [task.id] if backend.conventions.keep_finished_tasks else []
    assert [t.id for t in await p.get_tasks(NORDWIND, [task.id])] == kept


async def test_new_subscription_appears_when_done(backend: Backend) -> None:
    p = backend.provider
    task = await p.add_subscription(PADARIA, OFFICE_E3, 4)
    assert backend.sandbox.calls("addSubscription") == [{"licenseId": OFFICE_E3, "quantity": 4}]
    before = await p.list_subscriptions(PADARIA)
    backend.finish_tasks()
    assert (await backend.finished(PADARIA, task.id) or task).status != TaskStatus.ERROR
    (new_id,) = set(await p.list_subscriptions(PADARIA)) - set(before)
    new = await p.get_subscription(PADARIA, new_id)
    assert (new.license_id, new.quantity) == (OFFICE_E3, 4)


async def test_cancel_removes_subscription_with_its_addons(backend: Backend) -> None:
    p = backend.provider
    task = await p.delete_subscription(NORDWIND, NORDWIND_E3)
    assert NORDWIND_E3 in await p.list_subscriptions(NORDWIND)
    backend.finish_tasks()
    assert (await backend.finished(NORDWIND, task.id) or task).status != TaskStatus.ERROR
    remaining = await p.list_subscriptions(NORDWIND)
    assert NORDWIND_E3 not in remaining and NORDWIND_E3_AUDIO not in remaining
    with pytest.raises(NotFound):
        await p.get_subscription(NORDWIND, NORDWIND_E3)


async def test_addon_ordered_on_its_parent(backend: Backend) -> None:
    p = backend.provider
    task = await p.order_addon(PADARIA, PADARIA_E1, TEAMS_AUDIO_CONFERENCING, 3)
    assert (await p.get_subscription(PADARIA, PADARIA_E1)).task_pending_id == task.id
    assert await p.list_addon_subscriptions(PADARIA, PADARIA_E1) == []
    backend.finish_tasks()
    (addon_id,) = await p.list_addon_subscriptions(PADARIA, PADARIA_E1)
    addon = await p.get_subscription(PADARIA, addon_id)
    assert (addon.license_id, addon.quantity) == (TEAMS_AUDIO_CONFERENCING, 3)


async def test_zero_duration_tasks_are_done_at_the_next_read(backend: Backend) -> None:
    backend.sandbox.task_duration = timedelta(0)
    task = await backend.provider.change_quantity(NORDWIND, NORDWIND_E3, 20)
    assert task.status == TaskStatus.TODO
    done = await backend.finished(NORDWIND, task.id)
    assert done is None or done.status == TaskStatus.DONE
    assert (await backend.provider.get_subscription(NORDWIND, NORDWIND_E3)).quantity == 20


async def test_task_ending_in_error_changes_nothing(backend: Backend) -> None:
    p = backend.provider
    backend.sandbox.faults.set(task_error_next=True)
    task = await p.change_quantity(NORDWIND, NORDWIND_E3, 30)
    backend.finish_tasks()
    failed = await backend.finished(NORDWIND, task.id)
    assert failed is None or failed.status == TaskStatus.ERROR
    sub = await p.get_subscription(NORDWIND, NORDWIND_E3)
    assert (sub.quantity, sub.task_pending_id) == (12, None)
    again = await p.change_quantity(NORDWIND, NORDWIND_E3, 30)  # the next one works
    backend.finish_tasks()
    assert (await backend.finished(NORDWIND, again.id) or again).status != TaskStatus.ERROR
    assert (await p.get_subscription(NORDWIND, NORDWIND_E3)).quantity == 30


# --- the API's rules ------------------------------------------------------------------------


async def test_license_limit_counts_all_seats_including_pending(backend: Backend) -> None:
    p = backend.provider  # Business Basic: limit 300, Nordwind has 25
    with pytest.raises(BadParameters, match="limited to 300"):
        await p.change_quantity(NORDWIND, NORDWIND_BASIC, 301)
    with pytest.raises(BadParameters):
        await p.add_subscription(NORDWIND, BUSINESS_BASIC, 276)
    await p.add_subscription(NORDWIND, BUSINESS_BASIC, 200)
    with pytest.raises(BadParameters):  # 25 + 200 pending + 76 > 300
        await p.add_subscription(NORDWIND, BUSINESS_BASIC, 76)
    await p.add_subscription(NORDWIND, BUSINESS_BASIC, 75)


async def test_new_seats_not_allowed_blocks_increase_only(backend: Backend) -> None:
    p = backend.provider
    with pytest.raises(BadParameters, match="New seats"):
        await p.change_quantity(NORDWIND, NORDWIND_PROPLUS, 9)
    task = await p.change_quantity(NORDWIND, NORDWIND_PROPLUS, 7)
    assert task.status == TaskStatus.TODO


async def test_new_subscriptions_not_allowed(backend: Backend) -> None:
    p = backend.provider
    with pytest.raises(BadParameters, match="New subscriptions"):
        await p.add_subscription(CONTOSO, APPS_FOR_BUSINESS, 2)
    await p.change_quantity(CONTOSO, CONTOSO_APPS, 8)  # existing ones still grow


async def test_addon_licenses_only_through_order_addon(backend: Backend) -> None:
    p = backend.provider
    with pytest.raises(BadParameters, match="add-on"):
        await p.add_subscription(NORDWIND, TEAMS_AUDIO_CONFERENCING, 2)
    with pytest.raises(BadParameters):  # archiving is not offered on E3
        await p.order_addon(NORDWIND, NORDWIND_E3, EXCHANGE_ARCHIVING, 2)
    with pytest.raises(BadParameters):  # an add-on has no add-ons
        await p.order_addon(CONTOSO, CONTOSO_ARCHIVING, TEAMS_AUDIO_CONFERENCING, 1)


async def test_one_pending_task_per_subscription(backend: Backend) -> None:
    p = backend.provider
    await p.change_quantity(NORDWIND, NORDWIND_E3, 14)
    with pytest.raises(Conflict) as refused:
        await p.change_quantity(NORDWIND, NORDWIND_E3, 15)
    assert refused.value.status == 409
    with pytest.raises(Conflict):
        await p.delete_subscription(NORDWIND, NORDWIND_E3)
    with pytest.raises(Conflict):
        await p.order_addon(NORDWIND, NORDWIND_E3, TEAMS_AUDIO_CONFERENCING, 1)
    backend.finish_tasks()
    await p.change_quantity(NORDWIND, NORDWIND_E3, 15)


@pytest.mark.parametrize("quantity", [0, -3])
async def test_quantity_must_be_at_least_one(backend: Backend, quantity: int) -> None:
    p = backend.provider
    with pytest.raises(BadParameters):
        await p.change_quantity(NORDWIND, NORDWIND_E3, quantity)
    with pytest.raises(BadParameters):
        await p.add_subscription(NORDWIND, OFFICE_E1, quantity)
    with pytest.raises(BadParameters):
        await p.order_addon(NORDWIND, NORDWIND_BASIC, TEAMS_AUDIO_CONFERENCING, quantity)
    assert await p.list_tasks(NORDWIND) == []


async def test_unknown_ids_are_not_found(backend: Backend) -> None:
    p = backend.provider
    with pytest.raises(NotFound) as missing:
        await p.get_tenant("csp2-zzzzzz.o365.ovh")
    assert missing.value.status == 404
    with pytest.raises(NotFound):
        await p.get_subscription(NORDWIND, 1)
    with pytest.raises(NotFound):
        await p.get_task(NORDWIND, 1)
    with pytest.raises(NotFound):
        await p.change_quantity(NORDWIND, 1, 5)
    with pytest.raises(NotFound):
        await p.delete_subscription(NORDWIND, CONTOSO_STANDARD)  # another group's
    with pytest.raises(NotFound):
        await p.list_subscriptions("csp2-zzzzzz.o365.ovh")


async def test_suspended_group_refuses_changes(backend: Backend) -> None:
    with pytest.raises(Conflict, match="suspended"):
        await backend.provider.change_quantity(VANDERBERG, VANDERBERG_STANDARD, 6)
