"""How a sandbox operation runs: one decorator, so every operation records, checks and fails
the same way (the CSP2 sandbox's `_operation`, with callers and MS-RequestId replays)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from pydantic import BaseModel

from bot.partner_center import sandbox_rules as rules
from bot.partner_center.sandbox_data import Replay
from bot.partner_center.sandbox_rules import Caller
from bot.provider.sandbox_controls import SandboxCall

if TYPE_CHECKING:
    from bot.partner_center.sandbox import PartnerCenterSandbox

T = TypeVar("T")
P = ParamSpec("P")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def operation(
    op: str,
    *,
    write: bool = False,
    app_user_only: bool = False,
    result: type[BaseModel] | None = None,
) -> Callable[
    [Callable[Concatenate[PartnerCenterSandbox, P], T]],
    # the operation takes the rule's arguments with `caller` optional, which a ParamSpec
    # cannot say: its arguments go unchecked, its answer is typed
    Callable[Concatenate[PartnerCenterSandbox, ...], Coroutine[Any, Any, T]],
]:
    """Turn a synchronous rule into an operation named `op`: record it, check the caller, apply
    a planned fault, advance the world, then act — or, for a write resent with an MS-RequestId
    already seen, answer what the first one answered (`result` rebuilds it). The rule never
    awaits, so each operation is atomic for asyncio."""

    def wrap(fn: Callable[Concatenate[PartnerCenterSandbox, P], T]
             ) -> Callable[Concatenate[PartnerCenterSandbox, ...], Coroutine[Any, Any, T]]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def operation(self: PartnerCenterSandbox, *args: Any, **kwargs: Any) -> T:
            caller: Caller = kwargs.pop("caller", None) or self.caller
            bound = signature.bind(self, *args, **kwargs, caller=caller)
            bound.apply_defaults()
            payload = {
                k: _plain(v) for k, v in bound.arguments.items() if k not in ("self", "caller")
            }
            request_id = payload.pop("request_id", None)
            self._log.append(SandboxCall(op, payload, payload.get("customer_id"), None, self.now()))
            if self.faults.latency:
                await asyncio.sleep(self.faults.latency)
            rules.check_caller(caller, self.behaviour, app_user_only=app_user_only)
            fault = self.faults.take(op)
            self._advance()
            if fault is not None and not fault.applied:
                raise fault.build()
            key = f"{op}:{request_id}" if write and request_id else None
            if key and key in self.world.replays and result is not None:
                answer: Any = result.model_validate(self.world.replays[key].result)
            else:
                answer = fn(self, *args, **{**kwargs, "caller": caller})
                if key and isinstance(answer, BaseModel):
                    self.world.replays[key] = Replay(op=op, result=_plain(answer))
            if fault is not None:
                raise fault.build()
            # the rule's answer, or a deep copy of it: the same type either way
            return cast(T, answer.model_copy(deep=True) if isinstance(answer, BaseModel)
                        else answer)

        return operation

    return wrap
