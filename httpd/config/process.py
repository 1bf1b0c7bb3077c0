"""Start-up state shared by both passes (Apache's process_rec and config globals)."""
from __future__ import annotations

import os
import re
from typing import Optional

from httpd.module.build import Build, current_build
from httpd.log.startup import StartupLog
from httpd.module.registry import Registry
from httpd.config.server import ServerRec, create_server

_VAR = re.compile(r"\$\{([^}]*)\}")

HTTPD_ROOT = "/etc/httpd"
SERVER_CONFIG_FILE = "conf/httpd.conf"


def default_server_root() -> str:
    """A checkout or editable install serves its own tree; otherwise /etc/httpd."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isfile(os.path.join(here, "conf", "httpd.conf")):
        return here
    return HTTPD_ROOT


class Process:
    """ServerRoot, defines and variables, the module registry, the servers, the log."""

    def __init__(self, argv0: str = "httpd", server_root: Optional[str] = None,
                 build: Optional[Build] = None, log: Optional[StartupLog] = None,
                 environ: Optional[dict] = None):
        self.argv0 = os.path.basename(argv0) or "httpd"
        self.server_root = server_root or HTTPD_ROOT
        self.build = build or current_build()
        self.log = log or StartupLog()
        self.environ = os.environ if environ is None else environ
        self.registry = Registry(self.build)
        self.defines: list[str] = []            # -D names and Define'd names, in order
        self.variables: dict[str, str] = {}     # Define NAME VALUE
        self.main_server: ServerRec = None      # type: ignore[assignment]
        self.vhosts: list[ServerRec] = []
        self.config_file: Optional[str] = None
        self.default_config = SERVER_CONFIG_FILE
        self.runtime_dir: Optional[str] = None
        self.dump_includes = False
        self.include_depth = 0
        self.include_lines: list[int] = []
        self.test_config = False
        self.skip_docroot_check = False         # -T
        self.foreground = False                 # -X / -DFOREGROUND
        self.mpm_state: object = None           # the MPM's checked settings
        # ap_mpm_query(AP_MPMQ_MPM_STATE) == AP_MPMQ_STOPPING: the child is going
        # (graceful), so no response keeps its connection alive (ap_set_keepalive)
        self.mpm_stopping = False
        self.name_cache: dict = {}              # host name -> addresses, for this generation
        # ap_extended_status when ExtendedStatus is not configured (modules may set it
        # at pre_config: mod_status turns it on)
        self.extended_status_default = False

    # -- variables -------------------------------------------------------------------------
    def define(self, name: str, value: Optional[str] = None) -> None:
        if name not in self.defines:
            self.defines.append(name)
        if value is not None:
            self.variables[name] = value
        else:
            self.variables.pop(name, None)

    def undefine(self, name: str) -> None:
        if name in self.defines:
            self.defines.remove(name)
        self.variables.pop(name, None)

    def is_defined(self, name: str) -> bool:
        return name in self.defines

    def resolve_env(self, line: str) -> str:
        """``${VAR}`` on the whole line: Define first, then the environment (AH00111)."""
        if "${" not in line:
            return line

        def sub(m: re.Match) -> str:
            name = m.group(1)
            if ":" in name:
                return m.group(0)
            v = self.variables.get(name)
            if v is None:
                v = self.environ.get(name)
            if v is None:
                self.log.error("core", "warn", f"AH00111: Config variable ${{{name}}} is not defined")
                return m.group(0)
            return v

        return _VAR.sub(sub, line)

    # -- paths -----------------------------------------------------------------------------
    def server_root_relative(self, path: str) -> str:
        if not path.startswith("/"):
            path = os.path.join(self.server_root, path)
        trailing = path.endswith("/") and len(path) > 1
        path = os.path.normpath(path)
        if path.startswith("//"):
            path = path[1:]
        return path + "/" if trailing and not path.endswith("/") else path

    # -- servers ---------------------------------------------------------------------------
    def create_main_server(self) -> ServerRec:
        self.main_server = create_server(self, defn_name=self.config_file)
        return self.main_server

    def dump_include(self, fname: str) -> None:
        if not self.dump_includes:
            return
        import sys
        depth = self.include_depth
        mark = "*" if depth == 0 else str(self.include_lines[-1])
        sys.stdout.write(f"{' ' * (2 * depth + 2)}({mark}) {fname}\n")
