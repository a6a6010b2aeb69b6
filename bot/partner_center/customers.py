"""Customers: the partner's customer tenants, keyed by tenant GUID [D get-a-customer-by-id]."""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import Field

from bot.partner_center.wire import PcModel, Resource


class CustomerSearchField(StrEnum):
    """Fields a customer filter may name [D get-a-customer-by-name; SDK CustomerSearchField.cs]."""

    DOMAIN = "Domain"
    COMPANY_NAME = "CompanyName"
    INDIRECT_RESELLER = "IndirectReseller"
    INDIRECT_CLOUD_SOLUTION_PROVIDER = "IndirectCloudSolutionProvider"


def customer_filter(field: CustomerSearchField, value: str) -> str:
    """The `filter` query value: JSON, `starts_with` being the only operator (case ignored) [D]."""
    return json.dumps(
        {"Field": str(field), "Value": value, "Operator": "starts_with"}, separators=(",", ":")
    )


class Address(PcModel):
    country: str | None = None
    city: str | None = None
    postal_code: str | None = None
    address_line1: str | None = None


class CompanyProfile(PcModel):
    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    address: Address | None = None
    email: str | None = None


class BillingProfile(PcModel):
    company_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    default_address: Address | None = None


class Customer(Resource):
    """`id` is the tenant GUID, the customer's "Microsoft ID" [D get-a-customer-by-id]."""

    id: str
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    custom_domains: list[str] = Field(default_factory=list)

    @property
    def name(self) -> str:
        profile = self.company_profile
        return (profile and (profile.company_name or profile.domain)) or self.id

    @property
    def domain(self) -> str | None:
        return self.company_profile.domain if self.company_profile else None

    @property
    def country(self) -> str | None:
        """The customer's country, for the catalogue's `country=` (billing address first)."""
        for address in (
            self.billing_profile and self.billing_profile.default_address,
            self.company_profile and self.company_profile.address,
        ):
            if address and address.country:
                return address.country
        return None
