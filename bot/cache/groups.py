"""The cached license group a button, a form or a command names: the one place that turns "not
in the cache" into an answer for the person (a stale or forged value included)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import NotFoundError
from bot.core.i18n import _
from bot.core.text import escape
from store import cache
from store.cache import CachedTenant


def not_cached(service_name: str) -> NotFoundError:
    """What the person is told; the name is whatever came in, so it is escaped."""
    return NotFoundError(_("License group {name} is not in the cache.",
                           name=escape(service_name)))


async def cached_group(session: AsyncSession, service_name: str) -> CachedTenant:
    """The cached group named `service_name`; NotFoundError when there is none."""
    tenant = await cache.get_tenant(session, service_name)
    if tenant is None:
        raise not_cached(service_name)
    return tenant
