"""The read stages of a connection come from the read_deadlines hook (mod_reqtimeout),
asked once per base server, with the core's defaults when no module answers."""
from __future__ import annotations

from httpd.io.channel import DEFAULT_BODY_STAGE, DEFAULT_HEADER_STAGE, Stage
from httpd.io.connection import Serving
from tests.directives import harness

REQTIMEOUT = "LoadModule reqtimeout_module modules/mod_reqtimeout.so\n"


def test_without_mod_reqtimeout_the_core_defaults(tmp_path):
    p = harness.load(tmp_path, "")
    assert p.registry.hooks.functions("read_deadlines") == ()
    assert Serving(p).read_stages(p.main_server) == (DEFAULT_HEADER_STAGE, DEFAULT_BODY_STAGE)
    assert DEFAULT_HEADER_STAGE == Stage(20, 40, 500) and DEFAULT_BODY_STAGE == Stage(20, 0, 500)


def test_mod_reqtimeout_answers(tmp_path):
    p = harness.load(tmp_path, REQTIMEOUT + "RequestReadTimeout header=5-9,MinRate=100 body=0\n")
    assert Serving(p).read_stages(p.main_server) == (Stage(5, 9, 100), Stage(0, 0, 0))
    p = harness.load(tmp_path, REQTIMEOUT)                  # loaded, nothing configured
    assert Serving(p).read_stages(p.main_server) == (DEFAULT_HEADER_STAGE, DEFAULT_BODY_STAGE)


def test_asked_once_per_server(tmp_path):
    p = harness.load(tmp_path, REQTIMEOUT)
    serving = Serving(p)
    first = serving.conn_settings(p.main_server)
    assert serving.conn_settings(p.main_server) is first
