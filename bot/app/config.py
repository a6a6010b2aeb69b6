"""Settings, read from the environment and `.env` (README.md's configuration table lists them).

Every Microsoft window is a setting with the default docs/policies.md gives (Microsoft's rules);
no window is a literal anywhere else. Secrets are SecretStr so they never reach a log line.
"""

from __future__ import annotations

import json
from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.app.log_format import LogFormat
from bot.partner_center import endpoints as partner_center

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./csp-bot.db"
SLACK_API_URL = "https://slack.com/api/"
OVH_ENDPOINTS = {
    "ovh-eu": "https://eu.api.ovh.com/1.0",
    "ovh-ca": "https://ca.api.ovh.com/1.0",
    "ovh-us": "https://api.us.ovhcloud.com/1.0",
}


class ProviderName(StrEnum):
    SANDBOX = "sandbox"
    OVH = "ovh"


class SoftwareProviderName(StrEnum):
    SANDBOX = "sandbox"
    PARTNER_CENTER = "partner_center"


class ConnectionMode(StrEnum):
    SOCKET = "socket"
    HTTP = "http"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535, description="0 picks a free port")

    # storage
    database_url: str = DEFAULT_DATABASE_URL

    # provider
    csp_provider: ProviderName | None = None
    ovh_endpoint: str = "ovh-eu"
    ovh_application_key: str | None = None
    ovh_application_secret: SecretStr | None = None
    ovh_consumer_key: SecretStr | None = None
    csp_sandbox_state: Path | None = Field(
        default=None, description="file where the sandbox keeps its state across restarts"
    )
    csp_sandbox_task_seconds: float = Field(default=5.0, ge=0)

    # software: Microsoft's Partner Center (docs/setup.md)
    csp_software_provider: SoftwareProviderName | None = None
    partner_center_tenant_id: str | None = None
    partner_center_client_id: str | None = None
    partner_center_client_secret: SecretStr | None = None
    partner_center_refresh_token: SecretStr | None = None
    partner_center_scope: str = partner_center.SCOPE
    partner_center_app_scope: str | None = None
    partner_center_api_url: str = partner_center.API_URL
    partner_center_authority_url: str = partner_center.AUTHORITY_URL
    csp_software_country: str = Field(
        default="US", min_length=2, max_length=2,
        description="the market whose software catalogue is cached (ISO 3166 alpha-2); each "
        "purchase is checked again in its customer's country",
    )
    csp_software_sync_seconds: float = Field(
        default=900.0, ge=0, description="how often the software cache is refreshed from "
        "Partner Center (0: at start-up and on demand only)",
    )
    csp_software_reminder_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="hours before a software purchase's "
        "cancellation window closes that its buyer gets a reminder",
    )
    # ordering a new license group (OVHcloud's order cart)
    ovh_subsidiary: str | None = Field(
        default=None, description="subsidiary of the order carts (unset: the account's own)"
    )
    csp_ovh_plan_codes: str | None = Field(
        default=None,
        description="licence id or name → csp2 plan code: a JSON or YAML file, or inline JSON",
    )
    csp_ovh_auto_pay: bool = Field(
        default=False, description="pay new license groups with the preferred payment method"
    )
    csp_order_poll_seconds: float = Field(
        default=60.0, gt=0, description="how often an order of a new license group is looked at"
    )
    csp_order_delivery_days: int = Field(
        default=14, ge=1, description="days an order may take to deliver its license group"
    )

    # people
    csp_approvals_channel: str | None = None
    csp_admins: str = Field(default="", description="comma-separated Slack user ids")
    csp_support_usergroup: str | None = Field(
        default=None, description="Slack user group id whose members are support agents"
    )
    csp_everyone_is_staff: bool = Field(
        default=True, description="every member of the workspace may make requests"
    )

    # Microsoft's windows (docs/policies.md): every one a setting
    csp_cancellation_window_hours: int = Field(default=168, ge=1)
    csp_seat_reduction_window_hours: int = Field(default=168, ge=1)
    csp_refund_window_perpetual_days: int = Field(default=60, ge=1)
    csp_perpetual_cancellation_window_days: int = Field(default=30, ge=1)
    csp_refund_window_software_subscription_days: int = Field(default=7, ge=1)
    csp_refund_window_license_days: int = Field(default=7, ge=1)
    csp_reminder_hours: str = Field(
        default="24,4", description="reminders before an approval deadline, hours"
    )
    csp_deadline_check_seconds: float = Field(
        default=60.0, gt=0, description="how often approval deadlines are checked (expiry, "
        "reminders)"
    )
    csp_digest_time: str = Field(
        default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="when the daily window digest is sent, HH:MM in UTC",
    )
    csp_digest_channel: str | None = Field(
        default=None, description="where the daily window digest is posted (default: the "
        "approvals channel; requesters get their own lines by DM)"
    )
    csp_card_repair_seconds: float = Field(
        default=60.0, gt=0, description="how often status and approval cards Slack never got "
        "are posted again"
    )

    # order and seat thresholds that need a support agent's approval
    csp_order_approval_seats: int = Field(default=50, ge=1)
    csp_order_approval_monthly_amount: float = Field(default=1000.0, ge=0)
    csp_order_approval_hours: int | None = Field(
        default=None, ge=1, description="an order awaiting approval expires after this (off: unset)"
    )
    csp_seat_decrease_approval_seats: int | None = Field(
        default=None, description="decreases of more seats than this need approval (off: unset)"
    )
    csp_price_book: Path | None = None
    csp_currency: str = "EUR"
    # languages: en, nl, de, pt, it, fr (bot/core/i18n.py)
    csp_language: str = Field(
        default="en", description="the workspace's language, for people whose own is unknown"
    )
    csp_locale_cache_seconds: float = Field(
        default=86400.0, gt=0, description="how long a person's Slack locale and time zone "
        "(users.info) are used before they are read again"
    )
    csp_terms: str | None = Field(
        default=None,
        description="licence id or name → term and billing cycle (P1M, P1Y, P3Y; monthly, "
        "annual, triennial): a JSON or YAML file, or inline JSON; unset: P1M billed monthly",
    )

    # background work
    csp_sync_interval: int = Field(
        default=900,
        ge=0,
        validation_alias=AliasChoices("csp_sync_interval", "csp_sync_interval_seconds"),
    )
    csp_sync_concurrency: int = Field(default=4, ge=1, le=64)
    csp_sync_changes_interval: int = Field(
        default=0, ge=0, description="seconds between incremental syncs, which re-read only the "
        "groups whose subscriptions changed upstream (0: none, only the full sync)"
    )
    csp_usage_refresh_hours: float = Field(
        default=6.0, ge=0, description="a license group's usage statistics and billing peaks "
        "are read at most this often (0: at every sync)"
    )
    csp_reseller_mpn_id: str | None = Field(
        default=None, max_length=20, description="the reseller's MPN ID the new-group form "
        "starts with (unset: the one of the last new group ordered)"
    )
    csp_task_history_days: int = Field(
        default=7, ge=1, description="finished provider tasks stay listed this long"
    )
    csp_sync_stale_after: int = Field(
        default=0,
        ge=0,
        description="seconds after which cached data is called stale (0: twice the interval)",
    )
    csp_worker_interval: float = Field(default=2.0, gt=0)
    csp_worker_max_attempts: int = Field(
        default=5, ge=1, description="tries of a transient provider failure before giving up"
    )
    csp_worker_backoff_seconds: float = Field(
        default=30.0, gt=0, description="first retry delay; doubles at every further attempt"
    )
    csp_worker_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how long a worker's claim on a request lasts without renewal; a request "
        "whose worker died is resumed by another this long after the last renewal",
    )
    csp_worker_heartbeat_seconds: float = Field(
        default=10.0,
        gt=0,
        description="how often a worker renews the leases it holds, also while a provider "
        "call is under way; shorter than the lease",
    )
    csp_worker_poll_seconds: float = Field(
        default=10.0, gt=0, description="how often a running provider task is looked at"
    )
    log_level: str = "INFO"
    log_format: LogFormat = Field(
        default=LogFormat.AUTO, description="text, json, or auto: text on a terminal, else json"
    )

    @field_validator("csp_language")
    @classmethod
    def _language(cls, value: str) -> str:
        from bot.core.i18n import LANGUAGES, supported

        language = supported(value)
        if language is None:
            raise ValueError(f"CSP_LANGUAGE must be one of {', '.join(LANGUAGES)}")
        return language

    @field_validator("slack_api_url")
    @classmethod
    def _slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Settings:
        """A lease renewed less often than it lasts would run out under a live worker, and
        another replica would take the request while the first one still works on it."""
        if self.csp_worker_heartbeat_seconds >= self.csp_worker_lease_seconds:
            raise ValueError(
                f"CSP_WORKER_HEARTBEAT_SECONDS ({self.csp_worker_heartbeat_seconds:g}) must be "
                f"shorter than CSP_WORKER_LEASE_SECONDS ({self.csp_worker_lease_seconds:g}); "
                "a third of it is a good choice"
            )
        return self

    # --- derived -------------------------------------------------------------------------

    @property
    def provider(self) -> ProviderName:
        if self.csp_provider is not None:
            return self.csp_provider
        return ProviderName.OVH if self.ovh_credentials_complete else ProviderName.SANDBOX

    @property
    def ovh_credentials_complete(self) -> bool:
        return bool(
            self.ovh_application_key and self.ovh_application_secret and self.ovh_consumer_key
        )

    @property
    def software_provider(self) -> SoftwareProviderName:
        if self.csp_software_provider is not None:
            return self.csp_software_provider
        if self.partner_center_credentials_complete:
            return SoftwareProviderName.PARTNER_CENTER
        return SoftwareProviderName.SANDBOX

    @property
    def partner_center_credentials_complete(self) -> bool:
        return bool(
            self.partner_center_tenant_id
            and self.partner_center_client_id
            and self.partner_center_client_secret
        )

    @property
    def perpetual_cancellation_window(self) -> timedelta:
        """How long after purchase perpetual software can be cancelled through Partner Center
        (Microsoft: 30 days now; the source guide: 60). CSP_REFUND_WINDOW_PERPETUAL_DAYS is the
        refund-ticket window, counted from the same day: past this one, a ticket is the route."""
        return timedelta(days=self.csp_perpetual_cancellation_window_days)

    @property
    def ovh_base_url(self) -> str:
        return OVH_ENDPOINTS.get(self.ovh_endpoint, self.ovh_endpoint).rstrip("/")

    def ovh_plan_codes(self) -> dict[str, str]:
        """CSP_OVH_PLAN_CODES read: inline JSON (`{"10011": "csp2-…", "Office 365 E3": …}`),
        or the path of a JSON or YAML file with that mapping. Raises ValueError in words."""
        raw = (self.csp_ovh_plan_codes or "").strip()
        if not raw:
            return {}
        try:
            data = (
                json.loads(raw)
                if raw.startswith("{")
                else yaml.safe_load(Path(raw).expanduser().read_text(encoding="utf-8"))
            )
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise ValueError(f"CSP_OVH_PLAN_CODES cannot be read ({exc})") from None
        if not isinstance(data, dict) or not all(
            isinstance(v, str | int) and v != "" for v in data.values()
        ):
            raise ValueError(
                "CSP_OVH_PLAN_CODES must map licence ids or names to plan codes, e.g. "
                '{"10011": "csp2-m365-business-standard"}'
            )
        return {str(k): str(v) for k, v in data.items()}

    @property
    def mode(self) -> ConnectionMode | None:
        """Socket Mode when an app token is set, HTTP mode with a signing secret, else None."""
        if self.slack_bot_token is None:
            return None
        if self.slack_app_token is not None:
            return ConnectionMode.SOCKET
        if self.slack_signing_secret is not None:
            return ConnectionMode.HTTP
        return None

    @cached_property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.csp_admins.split(",") if u.strip())

    @property
    def reminder_hours(self) -> list[int]:
        return sorted(
            {int(h) for h in self.csp_reminder_hours.split(",") if h.strip()}, reverse=True
        )

    def missing_for_slack(self) -> list[str]:
        """What still has to be set before the bot can connect to Slack, in plain words."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN (the xoxb- token from OAuth & Permissions)")
        if self.slack_app_token is None and self.slack_signing_secret is None:
            missing.append(
                "SLACK_APP_TOKEN (xapp- token with connections:write, for Socket Mode) "
                "or SLACK_SIGNING_SECRET (Basic Information, for HTTP mode)"
            )
        return missing
