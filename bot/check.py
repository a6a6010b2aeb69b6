"""`csp-bot check`: what is configured, what each mode still lacks, and live probes."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.config import ConnectionMode, ProviderName, Settings
from bot.runtime import Runtime
from store.migrate import current_revision, head_revision, is_newer


@dataclass
class Finding:
    ok: bool
    subject: str
    detail: str


def configuration_findings(settings: Settings) -> list[Finding]:
    findings = []
    mode = settings.mode
    if mode is None:
        findings.append(
            Finding(
                False, "Slack", "not configured: set " + " and ".join(settings.missing_for_slack())
            )
        )
    else:
        findings.append(
            Finding(True, "Slack", f"{mode.value} mode, Web API at {settings.slack_api_url}")
        )
    if settings.slack_app_token is None:
        findings.append(
            Finding(True, "Socket Mode", "needs SLACK_APP_TOKEN (xapp-, connections:write)")
        )
    if settings.slack_signing_secret is None and mode is not ConnectionMode.SOCKET:
        findings.append(Finding(True, "HTTP mode", "needs SLACK_SIGNING_SECRET"))
    if not settings.csp_approvals_channel:
        findings.append(
            Finding(
                False,
                "Approvals",
                "set CSP_APPROVALS_CHANNEL to the channel id where "
                "support agents approve cancellations and refunds",
            )
        )
    if not settings.admin_ids:
        findings.append(
            Finding(
                False,
                "Admins",
                "set CSP_ADMINS to the Slack user ids of the bot's admins "
                "(comma-separated); they grant the other roles with /csp roles",
            )
        )
    provider = settings.provider
    if provider is ProviderName.OVH and not settings.ovh_credentials_complete:
        findings.append(
            Finding(
                False,
                "Provider",
                "CSP_PROVIDER=ovh needs OVH_APPLICATION_KEY, "
                "OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (create them at the endpoint's "
                "/createToken page)",
            )
        )
    else:
        where = settings.ovh_base_url if provider is ProviderName.OVH else "embedded sandbox"
        findings.append(Finding(True, "Provider", f"{provider.value} ({where})"))
    return findings


async def probe(settings: Settings) -> list[Finding]:
    """Talk to Slack (auth.test), the database and the provider."""
    findings = []
    runtime = Runtime(settings)
    try:
        if settings.slack_bot_token is not None:
            try:
                auth = await runtime.slack.auth_test()
                findings.append(
                    Finding(
                        True, "Slack auth.test", f"bot {auth.get('user')} in {auth.get('team')}"
                    )
                )
            except SlackApiError as exc:
                findings.append(
                    Finding(
                        False,
                        "Slack auth.test",
                        f"{exc.response.get('error')}: "
                        "check SLACK_BOT_TOKEN (OAuth & Permissions) and SLACK_API_URL",
                    )
                )
            except Exception as exc:
                findings.append(
                    Finding(
                        False,
                        "Slack auth.test",
                        f"unreachable ({exc.__class__.__name__}): check SLACK_API_URL",
                    )
                )
        try:
            await runtime.db.ping()
            current, head = await current_revision(runtime.db.engine), head_revision()
            if current == head or is_newer(current):  # newer: a rolling upgrade under way
                findings.append(Finding(True, "Database", f"reachable, schema at {current}"))
            else:
                findings.append(
                    Finding(
                        False,
                        "Database",
                        f"schema at {current}, newest is {head}: run `csp-bot db upgrade`",
                    )
                )
        except Exception as exc:
            findings.append(
                Finding(
                    False, "Database", f"unreachable ({exc.__class__.__name__}): check DATABASE_URL"
                )
            )
        try:
            tenants = await runtime.provider.list_tenants()
            findings.append(Finding(True, "Provider", f"answers: {len(tenants)} license groups"))
        except Exception as exc:
            findings.append(
                Finding(False, "Provider", f"{exc}: check OVH_ENDPOINT and the OVH credentials")
            )
    finally:
        await runtime.stop()
    return findings
