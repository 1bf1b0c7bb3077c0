"""A prefork child's accept and SIGUSR1 (graceful): a signal that arrives as accept()
returns must not drop the accepted connection (the handler raises only while the child
is idle, and the child is idle until it holds the connection)."""
from __future__ import annotations

import os
import signal

import pytest

from mpms.prefork import child


class _Listener:
    """accept() returns a connection, and SIGUSR1 arrives at that very moment."""

    class sock:
        @staticmethod
        def accept():
            os.kill(os.getpid(), signal.SIGUSR1)
            return "conn", ("127.0.0.1", 1)


class _Pod:
    r = -1

    def check(self):
        return None


def test_sigusr1_as_accept_returns_keeps_the_connection():
    state = {"idle": False, "graceful": False}

    def on_usr1(_signum, _frame):       # child_main's handler
        state["graceful"] = True
        if state["idle"]:
            raise child._Graceful()

    old = signal.signal(signal.SIGUSR1, on_usr1)
    try:
        got = child._accept(lambda: [_Listener], _Pod(), None, state)
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert got[0] == "conn" and state["graceful"] and not state["idle"]


def test_sigusr1_while_idle_still_ends_the_wait():
    state = {"idle": False, "graceful": False}

    def on_usr1(_signum, _frame):
        state["graceful"] = True
        if state["idle"]:
            raise child._Graceful()

    def poll():
        os.kill(os.getpid(), signal.SIGUSR1)   # while waiting for a connection
        return []

    old = signal.signal(signal.SIGUSR1, on_usr1)
    try:
        with pytest.raises(child._Graceful):
            child._accept(poll, _Pod(), None, state)
    finally:
        signal.signal(signal.SIGUSR1, old)
