"""Carts, checkout, orders and their provisioning status [D create-a-cart, cart-resources,
checkout-a-cart, order-resources, purchase-catalog-items]."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import Field

from bot.partner_center.wire import (
    BillingCycleValue,
    ErrorCode,
    PcModel,
    Resource,
    TextId,
    UtcTime,
    lenient_enum,
)


class CartStatus(StrEnum):
    """Capitalised on the wire [D cart-resources]."""

    ACTIVE = "Active"
    ORDERED = "Ordered"

if TYPE_CHECKING:  # what the field holds; pydantic reads it through lenient_enum
    CartStatusValue: TypeAlias = CartStatus | str | None
else:
    CartStatusValue = lenient_enum(CartStatus)


class CartLineItemError(PcModel):
    error_code: ErrorCode = None
    error_description: str | None = None
    additional_information: str | None = None


class CartLineItem(PcModel):
    """One line of a cart. A perpetual line is `billingCycle: one_time` with no term; a
    software-subscription line adds `termDuration` (`P1Y`/`P3Y`) and its cycle (inferred shape:
    the docs show only the perpetual body) [D create-a-cart]."""

    id: int = 0
    catalog_item_id: str
    quantity: int = Field(default=1, ge=0)
    billing_cycle: BillingCycleValue = None
    term_duration: str | None = None
    friendly_name: str | None = None
    provisioning_context: dict[str, str] | None = None
    participants: list[dict[str, str]] | None = None
    promotion_id: str | None = None
    attestation_accepted: bool | None = None
    # filled in by Partner Center
    currency_code: str | None = None
    order_group: str | None = None
    error: CartLineItemError | None = None


class Cart(Resource):
    """Carts live seven days (`expirationTimestamp` = creation + 7 days) [D cart-resources]."""

    id: str | None = None
    creation_timestamp: UtcTime = None
    last_modified_timestamp: UtcTime = None
    expiration_timestamp: UtcTime = None
    last_modified_user: str | None = None
    status: CartStatusValue = None
    line_items: list[CartLineItem] = Field(default_factory=list)
    partner_on_record_attestation_accepted: bool | None = None


class OrderStatus(StrEnum):
    """[D order-resources, pending-po-upload]. The review states are spelt with spaces in the
    docs; the PO states with underscores on the wire. `lenient_enum` matches either."""

    COMPLETED = "completed"
    PENDING = "pending"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    ERROR = "error"
    UNKNOWN = "unknown"
    PENDING_REVIEW = "pending_review"
    PARTIAL_SUCCESS = "partial_success"
    PENDING_PO_UPLOAD = "pending_po_upload"
    PO_UPLOAD_COMPLETE = "po_upload_complete"
    PO_REVIEW_REJECTED = "po_review_rejected"

if TYPE_CHECKING:  # what the field holds; pydantic reads it through lenient_enum
    OrderStatusValue: TypeAlias = OrderStatus | str | None
else:
    OrderStatusValue = lenient_enum(OrderStatus)


class OrderLineItem(Resource):
    """`lineItemNumber` runs 0..n-1; `subscriptionId` appears once provisioned, and never on a
    perpetual line [D order-resources]; a cancelled line has `quantity: 0`
    [D cancel-software-purchases]."""

    line_item_number: int = 0
    offer_id: str | None = None
    subscription_id: str | None = None
    parent_subscription_id: str | None = None
    friendly_name: str | None = None
    quantity: int = 0
    term_duration: str | None = None
    billing_cycle: BillingCycleValue = None
    transaction_type: str | None = None
    pricing: dict[str, Any] | None = None


class Order(Resource):
    """An order id comes in three shapes (`2y6dF_rVgDAXMxypQPPnTquuXhKVK_3N1`, 12 hex, a GUID)
    [D order-resources]: it is an opaque string."""

    id: str
    alternate_id: str | None = None
    reference_customer_id: str | None = None
    billing_cycle: BillingCycleValue = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    creation_date: UtcTime = None
    status: OrderStatusValue = None
    transaction_type: str | None = None
    line_items: list[OrderLineItem] = Field(default_factory=list)
    total_price: float | None = None

    def line(self, number: int) -> OrderLineItem | None:
        return next((li for li in self.line_items if li.line_item_number == number), None)


class OrderError(PcModel):
    order_group_id: TextId = None
    code: ErrorCode = None
    description: str | None = None


class CheckoutResult(PcModel):
    """`{orders:[Order], orderErrors:[{orderGroupId,code,description}]}` [D checkout-a-cart]."""

    orders: list[Order] = Field(default_factory=list)
    order_errors: list[OrderError] = Field(default_factory=list)


class ProvisioningState(StrEnum):
    """[D purchase-catalog-items]: `unfulfilled` is what a cancelled line shows."""

    FULFILLED = "fulfilled"
    UNFULFILLED = "unfulfilled"
    PREFULFILLMENT_PENDING = "prefulfillmentpending"

if TYPE_CHECKING:  # what the field holds; pydantic reads it through lenient_enum
    ProvisioningStateValue: TypeAlias = ProvisioningState | str | None
else:
    ProvisioningStateValue = lenient_enum(ProvisioningState)


class QuantityProvisioning(PcModel):
    quantity: int | None = None
    status: ProvisioningStateValue = None


class ProvisioningStatus(PcModel):
    """One line's provisioning: `GET …/orders/{id}/provisioningstatus` (App+User only)."""

    line_item_number: int = 0
    status: ProvisioningStateValue = None
    quantity_provisioning_information: list[QuantityProvisioning] = Field(default_factory=list)
