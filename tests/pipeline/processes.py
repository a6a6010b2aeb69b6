"""Real processes of this host for the lease tests: one that ran and is gone, one that lives."""

from __future__ import annotations

import os
import subprocess

from bot.pipeline import leases
from bot.pipeline.leases import ProcessIdentity, this_process


def dead_process() -> ProcessIdentity:
    """The identity of a process of this host that ran and is gone (killed and reaped)."""
    child = subprocess.Popen(["sleep", "30"])
    me = this_process()
    _state, started = leases._stat(child.pid)
    child.kill()
    child.wait()
    return ProcessIdentity(me.host, child.pid, me.namespace, started)


def parent_process() -> ProcessIdentity:
    """A process of this host that is alive (pytest's parent)."""
    me = this_process()
    _state, started = leases._stat(os.getppid())
    return ProcessIdentity(me.host, os.getppid(), me.namespace, started)
