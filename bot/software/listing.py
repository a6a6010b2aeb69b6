"""`/csp software list <customer>`: a customer's software from the cache, and finding the
customer a few words name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.domain import Role
from bot.core.errors import DomainError
from bot.core.i18n import _
from bot.core.text import escape
from bot.software.purchases import Purchase
from store import software as repo
from store.search import normalize, words_of

if TYPE_CHECKING:
    from slack_sdk.models.blocks import Block

    from bot.app.runtime import Runtime
    from store.models import SoftwareCustomerRow

MAX_CHOICES = 10


@dataclass(frozen=True)
class CustomerChoice:
    customer_id: str
    name: str
    domain: str | None
    country: str | None
    license_group: str | None


@dataclass(frozen=True)
class SoftwareListing:
    customer: CustomerChoice
    purchases: list[Purchase]
    roles: frozenset[Role]


def _choice(row: SoftwareCustomerRow) -> CustomerChoice:
    return CustomerChoice(row.customer_id, row.name, row.domain, row.country, row.license_group)


async def find_customers(runtime: Runtime, words: list[str], limit: int = MAX_CHOICES
                         ) -> list[CustomerChoice]:
    query = [normalize(w) for w in words_of(" ".join(words))]
    async with runtime.db.session() as session:
        if len(words) == 1:
            exact = await repo.get_customer(session, words[0].strip().lower())
            if exact is not None:
                return [_choice(exact)]
        return [_choice(r) for r in await repo.customers(session, [w for w in query if w], limit)]


async def one_customer(runtime: Runtime, words: list[str]) -> CustomerChoice:
    """The one customer the words name; a DomainError that says what to type otherwise."""
    if not words:
        raise DomainError(_("Name the customer: `/csp software list contoso` (its name, domain "
                            "or tenant GUID)."))
    found = await find_customers(runtime, words)
    if not found:
        raise DomainError(_("No Partner Center customer matches that. The software cache is "
                            "refreshed every few minutes."))
    if len(found) > 1:
        names = ", ".join(f"{escape(c.name)} ({escape(c.domain or c.customer_id)})"
                          for c in found)
        raise DomainError(_("Several customers match: {names}. Type more of the name.",
                            names=names))
    return found[0]


async def listing(runtime: Runtime, words: list[str], user: str) -> SoftwareListing:
    customer = await one_customer(runtime, words)
    async with runtime.db.session() as session:
        rows = await repo.purchases_of(session, customer.customer_id)
    return SoftwareListing(customer, [Purchase.of(r) for r in rows],
                           frozenset(await runtime.roles.of(user)))


HOME_LIMIT = 5


async def home_section(runtime: Runtime, user_id: str) -> list[Block]:
    """App Home: the software this person bought through the bot, with its windows."""
    from bot.software.views import home_blocks

    async with runtime.db.session() as session:
        rows = await repo.bought_by(session, user_id, HOME_LIMIT)
        names = {r.customer_id: getattr(await repo.get_customer(session, r.customer_id), "name",
                                        r.customer_id) for r in rows}
    if not rows:
        return []
    return home_blocks([(Purchase.of(r), names[r.customer_id]) for r in rows],
                       runtime.clock.now())
