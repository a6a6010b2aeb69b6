"""The registry of request kinds (bot/pipeline/kinds.py): every kind has a spec, the generic
pipeline imports no flow, and each kind's payload model reads what the rows hold."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cancellation.cancel import CancelPayload, RefundLine
from bot.core.domain import NewTenantOrder, Request, RequestKind, RequestState
from bot.orders.form import OrderPayload
from bot.pipeline import kinds
from bot.pipeline.confirmation import PAYLOAD_KEY
from bot.pipeline.kinds import KindSpec, all_specs, register, spec_of
from bot.pipeline.transitions import ALLOWED
from bot.policy.decision import CancellationDecision, Decision, SeatDecision
from bot.refunds.form import RefundPayload
from bot.seats.changes import SeatsPayload
from bot.tenants.edit import TenantEditPayload

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: The generic modules: they loop over (or look up) specs and never import a flow.
GENERIC = (
    "bot/pipeline/notify.py",
    "bot/pipeline/cards.py",
    "bot/pipeline/news.py",
    "bot/pipeline/approvals.py",  # decisions, deadlines and the approvers' reminders
    "bot/pipeline/transitions.py",
    "bot/policy/approvals.py",
)
#: Modules that belong to one flow, besides those that register a kind (`kinds.FLOWS`) and
#: those that hold a spec's parts.
FLOW_ONLY = {
    "bot.orders.form", "bot.orders.choices", "bot.orders.delivery", "bot.refunds.form",
    "bot.policy.cancellation", "bot.policy.refunds", "bot.policy.orders", "bot.policy.seats",
    "bot.orders.new_group_view", "bot.refunds.views", "bot.cancellation.views", "bot.seats.views",
    "bot.tenants.views", "bot.orders.views", "bot.orders.confirmation_view",
}  # fmt: skip


def flow_modules() -> set[str]:
    found = set(kinds.FLOWS) | FLOW_ONLY
    for spec in all_specs():
        for part in vars(spec).values():
            module = getattr(part, "__module__", None)
            if callable(part) and module and module != "bot.pipeline.kinds":
                found.add(module)
    return found


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function; `from a import b` counts
    as `a` and as `a.b` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_flow_modules_are_known_to_the_check():
    """The check below is only as good as this list: it must hold the spec modules."""
    found = flow_modules()
    assert {"bot.cancellation.cancel", "bot.refunds.tickets", "bot.orders.plans",
            "bot.refunds.views",
            "bot.orders.new_group_view"} <= found  # fmt: skip


@pytest.mark.parametrize("path", GENERIC)
def test_the_generic_pipeline_imports_no_flow(path):
    flows = flow_modules()
    imported = imported_modules(ROOT / path)
    assert not imported & flows, f"{path} imports {sorted(imported & flows)}"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from bot.refunds.views import refund_card_blocks\n")
    assert "bot.refunds.views" in imported_modules(module) & flow_modules()


def test_every_kind_has_a_spec_and_a_table_of_moves():
    assert [spec.kind for spec in all_specs()] == list(RequestKind)
    for kind in RequestKind:
        spec = spec_of(kind)
        assert spec.title()
        assert spec.approval_sentence()
        assert RequestState.DRAFT in ALLOWED[kind]
        assert spec.approved_to in ALLOWED[kind][RequestState.AWAITING_APPROVAL]


def test_a_kind_is_registered_once():
    spec = spec_of(RequestKind.SEATS)
    assert register(spec) is spec  # the same spec again is harmless (a re-import)
    with pytest.raises(ValueError, match="registered twice"):
        register(KindSpec(kind=RequestKind.SEATS, title=lambda: "x", payload=SeatsPayload))
    assert spec_of(RequestKind.SEATS) is spec


def request_with(kind: RequestKind, payload: dict, state=RequestState.AWAITING_APPROVAL):
    return Request(id=7, kind=kind, state=state, requester="U1", payload=payload,
                   created_at=NOW, updated_at=NOW)  # fmt: skip


# --- the payload models ------------------------------------------------------------------


def test_a_payload_keeps_the_keys_it_does_not_name():
    """The confirmation every draft stores, and whatever an older row carries, survive a
    read and a write."""
    stored = {"license_name": "E3", "before": 3, "after": 5, PAYLOAD_KEY: {"title": "t"},
              "older": [1, 2]}  # fmt: skip
    payload = SeatsPayload.of(request_with(RequestKind.SEATS, stored))
    assert (payload.before, payload.after) == (3, 5)
    assert payload.dump() == stored


def test_a_cancellation_reads_rows_written_before_its_model():
    """Rows from before: the acknowledgement absent unless given, ISO dates with an offset,
    no billing months."""
    old = {"license_name": "E5", "quantity": 4, "reason": "price", "details": "",
           "addon_ids": [], "estimated_refund": None,
           "refund_basis": [{"license_name": "E5", "quantity": 4,
                             "term_start": "2026-03-01T09:00:00+00:00"}]}  # fmt: skip
    payload = CancelPayload.of(request_with(RequestKind.CANCEL, old))
    assert payload.no_refund_acknowledged is False
    assert payload.refund_basis == [RefundLine(license_name="E5", quantity=4,
                                               term_start=datetime(2026, 3, 1, 9, tzinfo=UTC))]
    assert payload.refund_basis[0].billing_months == 1
    acknowledged = CancelPayload.of(
        request_with(RequestKind.CANCEL, {**old, "no_refund_acknowledged": True})
    )
    assert acknowledged.no_refund_acknowledged is True
    again = CancelPayload.model_validate(acknowledged.dump())
    assert again == acknowledged


def test_only_an_acknowledged_cancellation_outlives_its_deadline():
    spec = spec_of(RequestKind.CANCEL)
    assert spec.expires(request_with(RequestKind.CANCEL, {}))
    assert not spec.expires(request_with(RequestKind.CANCEL, {"no_refund_acknowledged": True}))
    assert spec_of(RequestKind.SEATS).expires(
        request_with(RequestKind.SEATS, {"no_refund_acknowledged": True})
    )  # another kind's key means nothing


def test_a_payload_refuses_what_is_not_its_type():
    with pytest.raises(ValidationError):
        SeatsPayload.model_validate({"before": "three"})
    with pytest.raises(ValidationError):
        CancelPayload.model_validate({"refund_basis": [{"license_name": "E5"}]})
    with pytest.raises(ValidationError):
        OrderPayload.model_validate({"lines": [{"license_id": "x", "quantity": 1}]})


def test_a_refund_ticket_adds_its_reference_without_losing_the_rest():
    stored = {"refund": None, "outside_window": True, "window_days": 7, PAYLOAD_KEY: {"t": 1}}
    payload = RefundPayload.of(request_with(RequestKind.REFUND, stored))
    filed = payload.model_copy(update={"upstream_reference": "2611"}).dump()
    assert filed == {**stored, "upstream_reference": "2611", "credited_amount": None}
    assert RefundPayload.model_validate(filed).outside_window is True


def test_an_order_keeps_its_new_group_as_the_worker_wrote_it():
    order = NewTenantOrder.model_validate({
        "mpn_id": "123", "contact": {"first_name": "A", "last_name": "B", "email": "a@b.c",
                                     "phone": "+33", "address": "1 rue", "city": "Lyon",
                                     "zip_code": "69001", "country": "FR"},
        "licenses": [{"license_id": 1, "quantity": 2}],
    })  # fmt: skip
    stored = {"lines": [{"license_id": 1, "license_name": "E1", "quantity": 2}],
              "currency": "EUR", "monthly_total": "20.00", "note": None,
              "new_group": order.model_dump(mode="json")}  # fmt: skip
    payload = OrderPayload.of(request_with(RequestKind.ORDER, stored))
    assert payload.new_group == order
    assert payload.lines[0].license_name == "E1"
    assert payload.dump()["new_group"] == order.model_dump(mode="json")


def test_a_license_group_edit_keeps_before_and_after():
    payload = TenantEditPayload(before={"city": "Lyon"}, after={"city": None})
    assert TenantEditPayload.model_validate(payload.dump()) == payload


# --- decisions carry named fields -----------------------------------------------------------


def test_a_decision_has_only_the_fields_its_rule_names():
    assert Decision.refuse("no", handled=True).handled
    assert SeatDecision.allow(added=2).added == 2
    assert CancellationDecision.allow(window_open=True).window_open
    with pytest.raises(TypeError):
        Decision.allow(added=2)  # a seat change's field, not every rule's
    with pytest.raises(TypeError):
        SeatDecision.refuse("no", window_open=False)
