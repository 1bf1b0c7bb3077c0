"""The MPMs' shape (issue B1): every forking MPM's parent is httpd/mpm/parent.py's
MPMParent with its own policy, none is another MPM's, and the shared machinery in
httpd/ never reaches back into the MPMs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from httpd.mpm.parent import MPMParent
from httpd.mpm.threaded.parent import ThreadedParent
from mpms.event.runtime import EventRuntime
from mpms.prefork.runtime import PreforkRuntime
from mpms.worker.runtime import WorkerRuntime

HTTPD = Path(__file__).resolve().parents[2] / "httpd"


def test_every_parent_is_the_shared_one_with_its_own_policy():
    for cls in (PreforkRuntime, WorkerRuntime, EventRuntime):
        assert issubclass(cls, MPMParent)
    assert issubclass(WorkerRuntime, ThreadedParent) and issubclass(EventRuntime, ThreadedParent)
    assert not issubclass(ThreadedParent, PreforkRuntime)


@pytest.mark.parametrize("cls", [PreforkRuntime, WorkerRuntime, EventRuntime])
def test_each_parent_fills_in_every_hook(cls):
    hooks = ("scoreboard_shape", "make_child", "startup_children", "_child_exited",
             "idle_server_maintenance", "_tell_graceful", "_tell_restart")
    for name in hooks:
        assert getattr(cls, name) is not getattr(MPMParent, name), name
    for name in ("TAG", "AH_STARTED", "AH_BUILT", "AH_STOP", "AH_GRACEFUL_STOP",
                 "AH_RESTART", "AH_GRACEFUL"):
        assert isinstance(getattr(cls, name), str), name


def test_httpd_imports_no_mpm():
    """httpd/ (the core and what every MPM shares) never imports mpms/, not even inside
    a function: an MPM composes the machinery, never the other way round."""
    pattern = re.compile(r"^\s*(from|import) mpms\b")
    found = [f"{path.relative_to(HTTPD.parent)}:{n}"
             for path in sorted(HTTPD.rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if pattern.match(line)]
    assert found == []
