"""A software purchase as people see it: one order line of the cache, with its window.

Pure. `PurchaseRef` is what a button carries (customer, order, line: ids only); the truth is
read again from the cache whenever a button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.partner_center.orders import OrderStatus
from bot.partner_center.windows import can_cancel
from bot.software.catalogue import SoftwareKind

if TYPE_CHECKING:
    from store.models import SoftwarePurchaseRow

SEPARATOR = "|"


@dataclass(frozen=True)
class PurchaseRef:
    customer_id: str
    order_id: str
    line_number: int

    def dumps(self) -> str:
        return SEPARATOR.join((self.customer_id, self.order_id, str(self.line_number)))

    @classmethod
    def loads(cls, text: str | None) -> PurchaseRef | None:
        parts = (text or "").split(SEPARATOR)
        if len(parts) != 3 or not parts[0] or not parts[1] or not parts[2].isdigit():
            return None
        if len(parts[0]) > 64 or len(parts[1]) > 64 or len(parts[2]) > 4:
            return None
        return cls(parts[0], parts[1], int(parts[2]))


@dataclass(frozen=True)
class Purchase:
    ref: PurchaseRef
    title: str
    offer_id: str
    quantity: int
    term_duration: str | None
    billing_cycle: str | None
    order_status: str
    subscription_id: str | None
    subscription_status: str | None
    purchased_at: datetime | None
    cancellable_until: datetime | None
    bought_by: str | None
    request_id: int | None

    @classmethod
    def of(cls, row: SoftwarePurchaseRow) -> Purchase:
        return cls(
            PurchaseRef(row.customer_id, row.order_id, row.line_number), row.title, row.offer_id,
            row.quantity, row.term_duration, row.billing_cycle, row.order_status,
            row.subscription_id, row.subscription_status, row.purchased_at, row.cancellable_until,
            row.bought_by, row.request_id,
        )

    @property
    def kind(self) -> SoftwareKind:
        perpetual = not self.term_duration and not self.subscription_id
        return SoftwareKind.PERPETUAL if perpetual else SoftwareKind.SUBSCRIPTION

    @property
    def cancelled(self) -> bool:
        """A cancelled line has quantity 0 [D cancel-software-purchases]; a deleted
        subscription is gone too."""
        return (self.quantity == 0 or self.order_status == OrderStatus.CANCELLED
                or self.subscription_status == "deleted")

    def cancellable(self, now: datetime) -> bool:
        return not self.cancelled and can_cancel(self.cancellable_until, now)
