"""The build configuration chosen by ./configure: which MPMs exist and how.

Apache picks its MPMs at build time: ``--with-mpm=NAME`` alone links one MPM in
(``httpd -l`` lists it; no other can be loaded), ``--enable-mpms-shared=LIST|all`` builds
loadable MPMs and LoadModule picks one.  ./configure writes ``httpd/build_config.json``;
the environment variable ``HTTPD_BUILD_CONFIG`` names another file, so tests select a
build without reinstalling.  The file may also name the module catalogues
(``catalogues``: the packages whose ``CATALOGUE`` lists the modules, see
httpd/module/registry.py); ./configure writes the ones of this source tree.
"""
from __future__ import annotations

import json
import os
from typing import Optional

import attrs

# Apache's MPM table: the platform each MPM was written for (every one of them runs on
# any platform here: ./configure only uses this for the platform default below).
MPM_PLATFORMS = {
    "prefork": "unix", "worker": "unix", "event": "unix", "perchild": "unix",
    "winnt": "windows", "netware": "netware", "mpmt_os2": "os2", "beos": "beos",
}
PLATFORM_DEFAULT = {"unix": "prefork", "windows": "winnt", "os2": "mpmt_os2",
                    "netware": "netware", "beos": "beos"}
# MPMs this server implements (the others are refused by ./configure with a reason).
IMPLEMENTED = ("prefork", "worker", "event", "perchild") + ("mpmt_os2", "winnt", "beos", "netware")
SHAREABLE = ("prefork", "worker", "event", "perchild") + ("beos", "netware")


@attrs.frozen
class Build:
    default_mpm: str = "prefork"
    static_mpm: Optional[str] = None          # set for a --with-mpm build without shared
    shared_mpms: tuple[str, ...] = IMPLEMENTED
    # the Python packages whose CATALOGUE lists the modules (Apache's modules.c); empty:
    # those the installed distributions declare (entry-point group httpd.catalogues)
    catalogues: tuple[str, ...] = ()

    def to_json(self) -> str:
        data = {"default_mpm": self.default_mpm, "static_mpm": self.static_mpm,
                "shared_mpms": list(self.shared_mpms)}
        if self.catalogues:
            data["catalogues"] = list(self.catalogues)
        return json.dumps(data, indent=2) + "\n"


DEFAULT_BUILD = Build()
BUILD_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "build_config.json")


def current_build() -> Build:
    path = os.environ.get("HTTPD_BUILD_CONFIG") or BUILD_FILE
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return DEFAULT_BUILD
    return Build(default_mpm=data.get("default_mpm", "prefork"),
                 static_mpm=data.get("static_mpm"),
                 shared_mpms=tuple(data.get("shared_mpms", ())),
                 catalogues=tuple(data.get("catalogues", ())))
