"""What the order modal offers, from the cache: a group's orderable licenses and add-on parents,
the catalogue for a new group, and which typed values still apply when the modal changes.

Reads the cache only (never the provider), so the modal opens and changes within Slack's 3
seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import policy
from bot.core.domain import License
from bot.core.numbers import id_of
from bot.orders.form import LineField, OrderMeta, line_block
from bot.slack.state import ViewState
from store import cache, search
from store import requests as request_store
from store.cache import CachedSubscription, CachedTenant

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

# --- what can be ordered where (from the cache) ----------------------------------------------


@dataclass(frozen=True)
class GroupChoices:
    """What the cache knows of one license group: its licenses and its subscriptions."""

    tenant: CachedTenant
    licenses: Mapping[int, License]
    subscriptions: tuple[CachedSubscription, ...]
    #: Seats per license id that the group's confirmed, unfinished requests will add: the
    #: provider counts them against the limit before a new order arrives.
    on_the_way: Mapping[int, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.tenant.label

    def seats_of(self, license_id: int) -> int:
        return sum(s.quantity for s in self.subscriptions if s.license_id == license_id)

    def seats_on_the_way(self, license_id: int) -> int:
        return self.on_the_way.get(license_id, 0)

    def license(self, license_id: int) -> License | None:
        return self.licenses.get(license_id)

    @property
    def decision(self) -> policy.Decision:
        """Whether the group takes orders at all (it must be up and running)."""
        return policy.order_group(self.tenant.status, self.label, self.tenant.mpn_issue_flag)

    def offered(self) -> list[License]:
        """Licenses open to new subscriptions with room left under their limit: main licenses
        first, then add-ons, each by name. Nothing while the group takes no orders."""
        if not self.decision.allowed:
            return []
        return sorted(
            (
                lic
                for lic in self.licenses.values()
                if lic.new_subscriptions_allowed
                and (
                    lic.limit is None
                    or self.seats_of(lic.id) + self.seats_on_the_way(lic.id) < lic.limit
                )
            ),
            key=lambda lic: (lic.is_addon, lic.name.casefold(), lic.id),
        )

    def parents_for(self, addon: License) -> list[CachedSubscription]:
        """The subscriptions OVHcloud lets `addon` attach to (as the last sync read them)."""
        available = {s.id: s.available_addon_licenses for s in self.subscriptions}
        found = {s.id for s in policy.addon_parents(
            addon, self.subscriptions, self.licenses, self._parent_of, available)}
        return [s for s in self.subscriptions if s.id in found]

    def addon_decision(self, addon: License, parent_id: int | None) -> policy.Decision:
        """Whether `addon` may go on `parent_id`, or why not (no subscription of the group may
        take it, the chosen one may not, or the bot has not read it yet)."""
        main = {s.id for s in policy.main_subscriptions(self.subscriptions, self.licenses,
                                                         self._parent_of)}
        return policy.addon_line(
            addon, parent_id, {p.id for p in self.parents_for(addon)}, group=self.label,
            unread=any(s.available_addon_licenses is None
                       for s in self.subscriptions if s.id in main),
        )

    @property
    def _parent_of(self) -> dict[int, int | None]:
        return {s.id: s.parent_id for s in self.subscriptions}


@dataclass(frozen=True)
class Catalogue:
    """What a NEW license group can be given. The cache has no list of orderable licenses for
    a group that does not exist yet, so this is every main license the cache has seen open to
    new subscriptions in some group, with the smallest limit any group states."""

    licenses: Mapping[int, License]

    def offered(self) -> list[License]:
        return sorted(self.licenses.values(), key=lambda lic: (lic.name.casefold(), lic.id))

    def license(self, license_id: int) -> License | None:
        return self.licenses.get(license_id)


async def group_choices(runtime: Runtime, service_name: str | None) -> GroupChoices | None:
    if not service_name:
        return None
    async with runtime.db.session() as session:
        tenant = await cache.get_tenant(session, service_name)
        if tenant is None:
            return None
        licenses = await cache.licenses_of(session, service_name)
        subscriptions = await cache.subscriptions_of(session, service_name)
        on_the_way = await request_store.in_flight_seats(session, service_name)
    live = tuple(s for s in subscriptions if not policy.gone(s.status))
    return GroupChoices(tenant, {lic.id: lic for lic in licenses}, live, on_the_way)


async def new_group_catalogue(runtime: Runtime) -> Catalogue:
    found: dict[int, License] = {}
    async with runtime.db.session() as session:
        for service_name, _name in await cache.tenant_names(session):
            for lic in await cache.licenses_of(session, service_name, orderable_only=True):
                if lic.is_addon:
                    continue
                known = found.get(lic.id)
                limits = [x for x in (lic.limit, known.limit if known else None) if x is not None]
                found[lic.id] = License(
                    id=lic.id,
                    name=lic.name,
                    licence_type=lic.licence_type,
                    limit=min(limits) if limits else None,
                )
    return Catalogue(found)


async def find_group(runtime: Runtime, text: str) -> CachedTenant | None:
    """The license group the words of `/csp order <words>` name best, if any."""
    from bot.cache import typeahead

    text = text.strip()
    if not text:
        return None
    async with runtime.db.session() as session:
        exact = await cache.get_tenant(session, text)
        if exact is not None:
            return exact
        hits = await search.tenant_candidates(session, search.words_of(text))
        ranked = typeahead.rank(text, map(typeahead.tenant_candidate, hits), limit=1)
        return await cache.get_tenant(session, ranked[0].value) if ranked else None


async def addon_parent(runtime: Runtime, value: object) -> CachedSubscription | None:
    """The cached subscription an "Order add-on" names, if it is still there."""
    subscription_id = id_of(value)
    if subscription_id is None:
        return None
    async with runtime.db.session() as session:
        return await cache.get_subscription(session, subscription_id)


async def remembered_mpn_id(runtime: Runtime) -> str | None:
    """The reseller's MPN ID for a new group: the setting, else the one last ordered with."""
    if runtime.settings.csp_reseller_mpn_id:
        return runtime.settings.csp_reseller_mpn_id
    from store import requests as request_repo

    async with runtime.db.session() as session:
        return await request_repo.last_ordered_mpn_id(session)


def tenant_option_label(tenant: CachedTenant) -> str:
    """The group as the typeahead names it, so the prefilled choice looks like a picked one."""
    from bot.cache import typeahead

    hit = search.TenantHit(tenant.service_name, tenant.display_name, tenant.status)
    return typeahead.tenant_candidate(hit).label


# --- keeping what was typed when the modal changes -------------------------------------------


@dataclass(frozen=True)
class LinePrefill:
    """What a line of the rebuilt modal shows: its key and the values that still apply."""

    key: str
    license: License | None = None
    quantity: str | None = None
    parent_id: int | None = None
    parents: tuple[CachedSubscription, ...] = ()
    #: Why an add-on has no subscription to attach to, when it has none.
    no_parent: str | None = None

    @property
    def is_addon(self) -> bool:
        return self.license is not None and self.license.is_addon


def prefill_lines(
    meta: OrderMeta, state: ViewState, choices: GroupChoices | Catalogue | None
) -> list[LinePrefill]:
    """The lines to show after an update. A line whose license (or add-on parent) does not
    apply to the new choices gets a new key — Slack would otherwise keep the stale choice —
    and carries over what still applies (the quantity, the license)."""
    offered = {lic.id: lic for lic in choices.offered()} if choices is not None else {}
    out = []
    for key in list(meta.lines):
        raw_license = state.get(line_block(LineField.LICENSE, key))
        quantity = state.get(line_block(LineField.QUANTITY, key))
        raw_parent = state.get(line_block(LineField.PARENT, key))
        lic = offered.get(id_of(raw_license) or 0)
        parents: tuple[CachedSubscription, ...] = ()
        if lic is not None and lic.is_addon and isinstance(choices, GroupChoices):
            parents = tuple(choices.parents_for(lic))
        parent_id = id_of(raw_parent)
        if parent_id is None and not raw_parent:
            parent_id = meta.parent  # "Order add-on" on that subscription
        parent_ok = parent_id is not None and any(p.id == parent_id for p in parents)
        stale = (raw_license is not None and lic is None) or (raw_parent and not parent_ok)
        if stale:
            key = meta.renew_line(key)
        no_parent = None
        if lic is not None and lic.is_addon and isinstance(choices, GroupChoices) and not parents:
            no_parent = choices.addon_decision(lic, None).reason
        out.append(LinePrefill(key, lic, quantity, parent_id if parent_ok else None, parents,
                               no_parent))
    return out
