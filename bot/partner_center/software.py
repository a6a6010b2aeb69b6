"""What a software purchase leaves: software subscriptions and entitlements.

Software subscriptions bought on or after 14 Oct 2021 are listed with the customer's
subscriptions; perpetual software never becomes a subscription (inferred; PS issue #415)
[D csp-software-subscriptions]. Entitlements are the customer's rights, App+User only
[D get-a-collection-of-entitlements]. No resource holds product keys or download links: every
software example has `entitledArtifacts: []` and no source has a key artifact [D; SDK
ArtifactConverter.cs].
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import Field

from bot.partner_center.catalog import ProductType
from bot.partner_center.wire import (
    BillingCycleValue,
    PcModel,
    Resource,
    TextId,
    UtcTime,
    lenient_enum,
)

#: `productType.id` of a software subscription [D get-all-of-a-customer-s-subscriptions].
SOFTWARE_PRODUCT_TYPE = "Software"


class SubscriptionStatus(StrEnum):
    """[SDK SubscriptionStatus.cs]; `deleted` is cancelled, and final."""

    NONE = "none"
    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    DISABLED = "disabled"
    DELETED = "deleted"

if TYPE_CHECKING:  # what the field holds; pydantic reads it through lenient_enum
    SubscriptionStatusValue: TypeAlias = SubscriptionStatus | str | None
else:
    SubscriptionStatusValue = lenient_enum(SubscriptionStatus)


class Subscription(Resource):
    """A (software) subscription [D get-all-of-a-customer-s-subscriptions,
    manage-billing-frequency-software-subs]. `cancellationAllowedUntilDate` is its cancellation
    deadline. Unknown fields are kept: a subscription PATCH sends the whole object back, since
    `autoRenewEnabled` and next-term instructions are cleared when left out [L
    cancel-software-purchases]."""

    id: str
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    product_type: ProductType | None = None
    quantity: int | None = None
    unit_type: str | None = None
    creation_date: UtcTime = None
    effective_start_date: UtcTime = None
    commitment_end_date: UtcTime = None
    cancellation_allowed_until_date: UtcTime = None
    status: SubscriptionStatusValue = None
    auto_renew_enabled: bool | None = None
    billing_type: str | None = None
    billing_cycle: BillingCycleValue = None
    term_duration: str | None = None
    contract_type: str | None = None
    scheduled_next_term_instructions: dict[str, Any] | None = None
    order_id: str | None = None
    publisher_name: str | None = None

    @property
    def is_software(self) -> bool:
        return bool(self.product_type and self.product_type.id == SOFTWARE_PRODUCT_TYPE)


class EntitlementType(StrEnum):
    SOFTWARE = "software"
    RESERVED_INSTANCE = "reservedInstance"

if TYPE_CHECKING:  # what the field holds; pydantic reads it through lenient_enum
    EntitlementTypeValue: TypeAlias = EntitlementType | str | None
else:
    EntitlementTypeValue = lenient_enum(EntitlementType)


class ReferenceOrder(PcModel):
    id: str | None = None
    line_item_id: TextId = None
    alternate_id: str | None = None


class QuantityDetail(PcModel):
    """`quantityDetails[{quantity,status}]`; the status values are unpublished (open question)."""

    quantity: int | None = None
    status: str | None = None


class EntitledArtifact(PcModel):
    """Only `reservedinstance` is documented (`link`, `resourceId`, `dynamicAttributes`)
    [D entitlement-resources]; any other type is kept as it came."""

    artifact_type: str | None = None
    link: dict[str, Any] | None = None
    resource_id: str | None = None
    dynamic_attributes: dict[str, Any] | None = None


class Entitlement(PcModel):
    """A customer's right to a product [D entitlement-resources]. On-premises entitlements have
    no `expiryDate`; `includedEntitlements` nest with the same shape; `fulfillmentState` is read
    by the SDK only [SDK Entitlement.cs]."""

    reference_order: ReferenceOrder | None = None
    product_id: str | None = None
    sku_id: str | None = None
    quantity: int | None = None
    quantity_details: list[QuantityDetail] = Field(default_factory=list)
    entitlement_type: EntitlementTypeValue = None
    fulfillment_state: str | None = None
    expiry_date: UtcTime = None
    entitled_artifacts: list[EntitledArtifact] = Field(default_factory=list)
    included_entitlements: list[Entitlement] = Field(default_factory=list)
