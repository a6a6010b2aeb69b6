"""How the sandbox answers where OVHcloud's schema is silent: one small object, with variants.

The default, `OVHCLOUD`, follows what public evidence shows of the real API (each field says
where the evidence is, or "inferred" where there is none). The other variants are the plausible
readings of what OVHcloud does not publish, so the contract suite can run the bot against each
of them (`VARIANTS`, and `csp-bot sandbox --conventions NAME`). Sources are those of
ovh-csp2-api.md: OVHcloud's `/saas/csp2` schema 2020–2026 (mirrored in UrielCh/api-ovh-node),
its control panel (ovh/manager), its guides (ovh/docs) and the issue threads of its official
clients (ovh/python-ovh, ovh/go-ovh).

`wire()` renders a model as the sandbox's HTTP server sends it; the in-process sandbox reads
its own answers back through it, so both backends hand the bot exactly the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from bot.core.domain import Subscription
from bot.provider.sandbox_data import CONTOSO_APPS, NORDWIND_PROPLUS, PADARIA_E1


@dataclass(frozen=True)
class Conventions:
    name: str = "ovhcloud"
    #: `taskPendingId` of a subscription with no task running. Evidence: a non-nullable `long`
    #: in every schema version; the control panel tests `taskPendingId !== 0` and its mocks
    #: give idle objects 0; API output pasted in a guide shows 0. Variant: null (inferred).
    idle_task_pending_id: int | None = 0
    #: The status of a subscription in service. Evidence: every state enum of OVHcloud's Office
    #: family says `ok` ("active" appears nowhere); the subscription's own values are unpublished.
    in_service_status: str = "ok"
    #: Other in-service strings some seeded rows carry, so the bot meets more than one word
    #: (inferred: no public list exists). Subscription id → status.
    seeded_statuses: Mapping[int, str] = field(default_factory=dict)
    #: The zone datetimes are given in, and whether they carry fractions of a second. Evidence:
    #: guides show `2025-01-09T11:20:52+01:00`. Variant: UTC with microseconds (inferred).
    time_zone: str = "Europe/Paris"
    fractions: bool = False
    #: Whether `X-Ovh-Batch` reads are answered; refused with a 400 otherwise. Evidence: the
    #: control panel batches 50 ids a call, but an OVHcloud maintainer wrote (python-ovh, 2023)
    #: that the feature is undocumented and not guaranteed.
    batch_reads: bool = True
    #: Whether a finished task stays readable at `…/task/{id}` (404 once finished otherwise;
    #: inferred), and whether `GET …/task` lists finished tasks too. Evidence for the default
    #: (pending only): OVHcloud's schema describes `GET /saas/csp2/{serviceName}/task` as
    #: "Pending tasks of this tenant" in every published version (2020–2026), with no status
    #: filter, and the CSP2 guide's task list shows "the tasks in progress". Finished tasks
    #: reach `/csp tasks` from the cache, which the worker fills as it follows its tasks.
    keep_finished_tasks: bool = True
    list_finished_tasks: bool = False
    #: The HTTP status of a bad signature. Evidence: 400 `INVALID_SIGNATURE` in the official
    #: clients' issue threads (2016–2024); older answers were 403 (variant).
    signature_error_status: int = 400

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def status_of(self, subscription_id: int) -> str:
        """The in-service status a (seeded or new) subscription carries."""
        return self.seeded_statuses.get(subscription_id, self.in_service_status)

    def wire(self, value: Any) -> Any:
        """`value` (a model, a list of them, or plain data) as OVHcloud's JSON: camelCase,
        nulls included, datetimes in `time_zone`, an idle `taskPendingId` as configured."""
        if isinstance(value, BaseModel):
            data = {k: self.wire(v) for k, v in value.model_dump(by_alias=True).items()}
            if isinstance(value, Subscription) and value.task_pending_id is None:
                data["taskPendingId"] = self.idle_task_pending_id
            return data
        if isinstance(value, datetime):
            moment = value.astimezone(self.zone())
            return (moment if self.fractions else moment.replace(microsecond=0)).isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, dict):
            return {k: self.wire(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.wire(v) for v in value]
        return value


#: What public evidence shows of OVHcloud, with a few other in-service words on seeded rows.
OVHCLOUD = Conventions(
    seeded_statuses={
        NORDWIND_PROPLUS: "Active",
        CONTOSO_APPS: "active",
        PADARIA_E1: "inService",  # a word nobody has seen
    }
)
#: Older or other readings of what OVHcloud does not publish: null when idle, `active`,
#: UTC with fractions, 403 for a bad signature, finished tasks listed.
LEGACY = replace(
    OVHCLOUD,
    name="legacy",
    idle_task_pending_id=None,
    in_service_status="active",
    seeded_statuses={},
    time_zone="UTC",
    fractions=True,
    signature_error_status=403,
    list_finished_tasks=True,
)
#: The least OVHcloud may give: batch reads refused, finished tasks forgotten at once.
DEGRADED = replace(OVHCLOUD, name="degraded", batch_reads=False, keep_finished_tasks=False)

VARIANTS: dict[str, Conventions] = {c.name: c for c in (OVHCLOUD, LEGACY, DEGRADED)}
