"""`csp-bot serve | check | db upgrade | sandbox | …`"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import click

from bot.app.config import Settings
from bot.app.logs import configure_logging
from bot.provider.sandbox_conventions import VARIANTS

if TYPE_CHECKING:
    from bot.cache.sync import SyncReport, TenantOutcome

NO_SLACK = """csp-bot has no Slack credentials yet.

To connect it to Slack:
  1. Create the app from manifest.yml at https://api.slack.com/apps (From a manifest).
  2. Install it to your workspace and put these in .env (or the environment):
       SLACK_BOT_TOKEN=xoxb-…        (OAuth & Permissions)
       SLACK_APP_TOKEN=xapp-…        (Basic Information → App-Level Tokens, connections:write)
     or, for HTTP mode instead of Socket Mode:
       SLACK_SIGNING_SECRET=…        (Basic Information)
  3. Run `make run` again.

Missing now: {missing}
`csp-bot check` tells what else is configured."""


def _settings() -> Settings:
    return Settings()


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.ovh_application_secret,
        settings.ovh_consumer_key,
        settings.partner_center_client_secret,
        settings.partner_center_refresh_token,
    ]
    return [v.get_secret_value() for v in values if v is not None]


@click.group()
def main() -> None:
    """csp-bot: order and manage Microsoft 365 licenses through OVHcloud from Slack."""


@main.command()
def serve() -> None:
    """Run the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP mode on HOST:PORT).

    With no Slack credentials at all, run the local playground instead, so a fresh checkout
    can be tried at once; with only some of them, say what is missing.
    """
    settings = _settings()
    configure_logging(settings.log_level, _secrets(settings), settings.log_format)
    if settings.mode is None and not _any_slack_credential(settings):
        _run_playground(settings, None, None)
        return
    if settings.mode is None:
        click.echo(NO_SLACK.format(missing="; ".join(settings.missing_for_slack())), err=True)
        sys.exit(2)
    from bot.app.server import Server

    asyncio.run(Server(settings).run_until_signalled())


def _any_slack_credential(settings: Settings) -> bool:
    return any(
        v is not None
        for v in (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret)
    )


PLAYGROUND_READY = """csp-bot playground: {url}
  A web page that stands in for Slack: try every flow as Alice (staff), Sam (support agent)
  or Ada (admin), on sandbox data. Nothing reaches Slack or OVHcloud; everything is forgotten
  when it stops (Ctrl-C).
  To connect to Slack instead, set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or
  SLACK_SIGNING_SECRET) in .env; `make check` (`.venv/bin/csp-bot check`) says what is missing."""


def _run_playground(settings: Settings, host: str | None, port: int | None) -> None:
    from playground.server import DEFAULT_HOST, Playground

    # The playground has no login: it listens on loopback unless HOST is set explicitly.
    host = host or (settings.host if "host" in settings.model_fields_set else DEFAULT_HOST)
    port = settings.port if port is None else port
    playground = Playground(settings, host=host, port=port)

    def ready(url: str) -> None:
        click.echo(PLAYGROUND_READY.format(url=url), err=True)

    try:
        asyncio.run(playground.run_until_signalled(ready))
    except OSError as exc:
        click.echo(f"The playground cannot listen on {host}:{port}: {exc.strerror}. "
                   "Set PORT to another port (or 0 for any free one).", err=True)
        sys.exit(2)


@main.command()
@click.option("--host", default=None, help="Default: HOST if set, else 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Default: PORT (3000); 0 picks a free one.")
def playground(host: str | None, port: int | None) -> None:
    """Run the bot with a local web page that stands in for Slack, on sandbox data."""
    settings = _settings()
    configure_logging(settings.log_level, _secrets(settings), settings.log_format)
    _run_playground(settings, host, port)


@main.command()
@click.option("--offline", is_flag=True, help="Only read the configuration; probe nothing.")
@click.option("--provider-details", is_flag=True,
              help="Only read the OVHcloud account (read only): statuses, taskPendingId values, "
                   "licence types, batch reads, the csp2 cart catalogue.")
def check(offline: bool, provider_details: bool) -> None:
    """Say what is configured and what is missing; probe Slack, the database and the provider."""
    from bot.app.check import configuration_findings, probe

    settings = _settings()
    configure_logging("WARNING", _secrets(settings), settings.log_format)
    if provider_details:
        from bot.app.check_provider import provider_details as read_details

        lines, readable = asyncio.run(read_details(settings))
        click.echo("\n".join(lines))
        sys.exit(0 if readable else 1)
    findings = configuration_findings(settings)
    if not offline:
        findings += asyncio.run(probe(settings))
    for finding in findings:
        if finding.note:
            mark = click.style("-- ", fg="bright_black")
        else:
            mark = click.style("ok ", fg="green") if finding.ok else click.style("!! ", fg="red")
        click.echo(f"{mark} {finding.subject}: {finding.detail}")
    problems = [f for f in findings if not f.ok]
    if problems:
        click.echo(f"\n{len(problems)} problem(s) to fix.", err=True)
        sys.exit(1)
    click.echo("\nAll good.")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    from store.db import Database
    from store.migrate import head_revision, upgrade

    settings = _settings()

    async def run() -> None:
        database = Database(settings.database_url)
        try:
            await upgrade(database.engine)
        finally:
            await database.close()

    asyncio.run(run())
    click.echo(f"Database at revision {head_revision()}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--state", type=click.Path(dir_okay=False), default=None,
              help="Keep the sandbox's state in this JSON file across restarts.")
@click.option("--task-seconds", default=20.0, show_default=True, type=float,
              help="How long a provider task takes to complete.")
@click.option("--cart-shape", type=click.Choice(["options", "items"]), default="options",
              show_default=True,
              help="The order cart's csp2 catalogue: one license-group offer with the licences "
              "as options, or one offer per licence.")
@click.option("--conventions", default="ovhcloud", show_default=True,
              type=click.Choice(list(VARIANTS)),
              help="How it answers where OVHcloud's schema is silent: as OVHcloud does, or an "
                   "older or degraded reading (null taskPendingId, batches refused, …).")
def sandbox(
    host: str, port: int, state: str | None, task_seconds: float, cart_shape: str,
    conventions: str,
) -> None:
    """Serve the CSP2 sandbox over HTTP with OVHcloud's paths and signature checks.

    It accepts the OVH_APPLICATION_KEY / _SECRET / OVH_CONSUMER_KEY of the environment, so a
    bot with CSP_PROVIDER=ovh and OVH_ENDPOINT=http://HOST:PORT/1.0 can talk to it.
    """
    from datetime import timedelta

    from bot.provider import sandbox_server

    settings = _settings()
    configure_logging(settings.log_level, _secrets(settings), settings.log_format)
    secret, consumer = settings.ovh_application_secret, settings.ovh_consumer_key
    sandbox_server.run_sandbox_server(
        host,
        port,
        state_path=state,
        application_key=settings.ovh_application_key or sandbox_server.DEFAULT_APPLICATION_KEY,
        application_secret=(
            secret.get_secret_value() if secret else sandbox_server.DEFAULT_APPLICATION_SECRET
        ),
        consumer_key=(
            consumer.get_secret_value() if consumer else sandbox_server.DEFAULT_CONSUMER_KEY
        ),
        task_duration=timedelta(seconds=task_seconds),
        cart_shape=cart_shape,
        conventions=VARIANTS[conventions],
        ready=lambda url: click.echo(f"CSP2 sandbox on {url} (Ctrl-C stops it)"),
    )


PC_SANDBOX_READY = """Partner Center sandbox on {url} (Ctrl-C stops it). Point the bot at it with:
  CSP_SOFTWARE_PROVIDER=partner_center
  PARTNER_CENTER_API_URL={url}
  PARTNER_CENTER_AUTHORITY_URL={url}
{credentials}{trust}"""


@main.command("pc-sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8443, show_default=True, type=int)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None,
              help="PEM certificate to serve (default: a throwaway CA made with trustme).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--ca-out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the throwaway CA (default: a temporary file).")
def pc_sandbox(host: str, port: int, tls_cert: str | None, tls_key: str | None,
               ca_out: str | None) -> None:
    """Serve the Partner Center sandbox over HTTPS, with Entra ID's token endpoint beside it.

    It accepts the PARTNER_CENTER_TENANT_ID / _CLIENT_ID / _CLIENT_SECRET / _REFRESH_TOKEN of
    the environment (built-in demo values when they are unset; the refresh token is an Admin
    agent's, signed in with MFA), so a bot with CSP_SOFTWARE_PROVIDER=partner_center talks to
    it as it would to Microsoft.
    """
    from bot.partner_center import sandbox_service as service

    settings = _settings()
    configure_logging(settings.log_level, _secrets(settings), settings.log_format)
    try:
        context, ca_file = service.tls_context(tls_cert, tls_key, host, ca_out)
    except service.NoCertificate as exc:
        click.echo(f"Cannot serve TLS: {exc}.", err=True)
        sys.exit(2)
    given = {
        "tenant_id": settings.partner_center_tenant_id,
        "client_id": settings.partner_center_client_id,
        "client_secret": settings.partner_center_client_secret
        and settings.partner_center_client_secret.get_secret_value(),
        "refresh_token": settings.partner_center_refresh_token
        and settings.partner_center_refresh_token.get_secret_value(),
    }
    credentials = service.Credentials(**{k: v for k, v in given.items() if v})
    # Only the sandbox's own demo values are printed; the operator's stay unsaid.
    demo = [f"  PARTNER_CENTER_{k.upper()}={getattr(credentials, k)}\n"
            for k, v in given.items() if not v]
    lines = "".join(demo) or "  (credentials: those of your environment)\n"
    trust = f"  SSL_CERT_FILE={ca_file}   (the sandbox's CA)" if ca_file else ""

    def ready(url: str) -> None:
        click.echo(PC_SANDBOX_READY.format(url=url, credentials=lines, trust=trust), err=True)

    from bot.partner_center.sandbox_rules import Behaviour

    service.run(host, port, credentials, context, ready=ready,
                behaviour=Behaviour(perpetual_window=settings.perpetual_cancellation_window))


@main.group()
def audit() -> None:
    """The audit trail: who did what, when, before → after, with the provider's ids."""


@audit.command("export")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day to export (YYYY-MM-DD, from 00:00 UTC).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="CSV file to write (default: standard output).",
)
def audit_export(since: datetime, output: str | None) -> None:
    """Write the audit events since a date as CSV, for an auditor or a spreadsheet."""
    from datetime import UTC

    from bot.audit.trail import export_csv
    from store.db import Database
    from store.migrate import is_current

    settings = _settings()

    async def run(out: TextIO) -> int | None:
        database = Database(settings.database_url)
        try:
            if not await is_current(database.engine):
                return None
            return await export_csv(database, since.replace(tzinfo=UTC), out)
        finally:
            await database.close()

    if output:
        with open(output, "w", newline="", encoding="utf-8") as out:
            written = asyncio.run(run(out))
    else:
        written = asyncio.run(run(sys.stdout))
        sys.stdout.flush()
    if written is None:
        click.echo("The database is not at the newest schema: run `csp-bot db upgrade`.", err=True)
        sys.exit(1)
    where = f" to {output}" if output else ""
    click.echo(f"{written} audit event(s) since {since:%Y-%m-%d} written{where}.", err=True)


@main.command("sync")
def sync_cache() -> None:
    """Read every license group from the provider into the local cache now."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.app.runtime import Runtime

    settings = _settings()
    configure_logging("WARNING", _secrets(settings), settings.log_format)
    console = Console(stderr=True)

    class Bar:
        """Shows `Syncer`'s progress (bot.cache.sync.SyncProgress) as a rich progress bar."""

        def __init__(self, progress: Progress) -> None:
            self.progress, self.task = progress, progress.add_task("license groups", total=None)

        def started(self, total: int) -> None:
            self.progress.update(self.task, total=total)

        def advanced(self, outcome: TenantOutcome) -> None:
            mark = "" if outcome.ok else f" [red]failed: {outcome.error}"
            self.progress.console.print(f"  {outcome.service_name}{mark}", highlight=False)
            self.progress.advance(self.task)

    async def run() -> SyncReport:
        runtime = Runtime(settings)
        try:
            await runtime.start(background=False)
            columns = (TextColumn("Syncing"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=console, transient=True) as progress:
                return await runtime.syncer.sync_all(Bar(progress))
        finally:
            await runtime.stop()

    report = asyncio.run(run())
    click.echo(report.summary())
    for service_name, error in sorted(report.failed.items()):
        click.echo(f"  {service_name}: {error}")
    if report.removed:
        click.echo("  removed: " + ", ".join(report.removed))
    click.echo(f"  {report.seat_batches} seat batch(es) recorded.")
    if report.error or report.failed or report.skipped:
        sys.exit(1)


if __name__ == "__main__":
    main()
