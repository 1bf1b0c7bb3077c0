"""The catalogue: the registry names no module; every one, the core's included, comes
from a package's CATALOGUE (Apache's modules.c), found through the build config or the
httpd.catalogues entry points."""
from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest

from httpd.module import registry
from httpd.module.build import Build
from httpd.module.registry import catalogue
from tests.e2e.servers import ROOT


def test_the_entry_points_give_this_projects_catalogues():
    cat = catalogue(Build())
    assert cat.modules["core_module"] == "httpd.core.module"       # listed like the others
    assert cat.modules["http_module"] == "httpd.http.core"
    assert cat.mpm_after == "http_module"
    assert cat.modules["alias_module"] == "directives.mod_alias"
    assert cat.modules["mpm_event_module"] == "mpms.event"
    assert cat.prelinked == ("core_module", "so_module", "watchdog_module", "http_module",
                             "log_config_module", "logio_module", "version_module",
                             "unixd_module")


def test_the_build_config_names_the_catalogues():
    cat = catalogue(Build(catalogues=("mpms",)))
    assert "alias_module" not in cat.modules and "mpm_prefork_module" in cat.modules
    assert cat.prelinked == () and "core_module" not in cat.modules


def test_no_catalogue_anywhere_says_so(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])
    monkeypatch.setattr(registry, "_CATALOGUES", {})
    with pytest.raises(RuntimeError,
                       match=r"no module catalogue: .*\(pip install -e \.\) or run \./configure"):
        catalogue(Build())


def test_configure_writes_the_catalogues(tmp_path):
    out = tmp_path / "b.json"
    subprocess.run([sys.executable, str(ROOT / "configure"), f"--build-file={out}"],
                   check=True, capture_output=True)
    assert json.loads(out.read_text())["catalogues"] == ["directives", "mpms"]
