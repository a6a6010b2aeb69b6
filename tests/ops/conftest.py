"""The flow fixtures (a synced cache, support agents) for the operations tests too."""

from tests.flows.conftest import agents, synced

__all__ = ["agents", "synced"]
