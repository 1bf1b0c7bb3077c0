"""`httpd -t` end to end on small configs, against the output real Apache 2.4.71 gave
for the same files (`apache2 -t -d DIR -f DIR/httpd.conf`, program name rewritten).

Where the real binary is installed, each pinned answer is also checked against it, so
a pin cannot drift from Apache.  The httpd side waits for the CLI pipeline to load.
"""
from __future__ import annotations

import os

import pytest

from tests.conformance import apache

HEAD = ("LoadModule mpm_{mpm}_module /usr/lib/apache2/modules/mod_mpm_{mpm}.so\n"
        "ServerName localhost\nErrorLog error.log\n")
ROOT_ERROR = ("Error:\\tApache has not been designed to serve pages while\\n\\trunning as root.  "
              "There are known race conditions that\\n\\twill allow any local user to read any "
              "file on the system.\\n\\tIf you still desire to serve pages as root then\\n\\tadd "
              "-DBIG_SECURITY_HOLE to the CFLAGS env variable\\n\\tand then rebuild the server."
              "\\n\\tIt is strongly suggested that you instead modify the User\\n\\tdirective in "
              "your httpd.conf file to list a non-root\\n\\tuser.\\n")


def syntax_error(line: int, msg: str) -> tuple[int, str]:
    return 1, f"AH00526: Syntax error on line {line} of <D>/httpd.conf:\n{msg}\n"


def ok(*warnings: str) -> tuple[int, str]:
    return 0, "".join(w + "\n" for w in warnings) + "Syntax OK\n"


# (mpm, directive lines after the 3-line head, extra args, (exit status, output))
CASES = [
    ("prefork", "StartServers abc", [],
     ok("AH00184: WARNING: StartServers of 0 not allowed, increasing to 1.")),
    ("prefork", "MaxRequestWorkers 400", [],
     ok("AH00180: WARNING: MaxRequestWorkers of 400 exceeds ServerLimit value of 256 servers, "
        "decreasing MaxRequestWorkers to 256. To increase, please see the ServerLimit "
        "directive.")),
    ("prefork", "StartServers 0", ["-e", "error"], ok()),
    ("worker", "StartServers 0", [],
     ok("AH00320: WARNING: StartServers of 0 not allowed, increasing to 1.")),
    ("worker", "ThreadLimit 32\nThreadsPerChild 64", [],
     ok("AH00310: WARNING: ThreadsPerChild of 64 exceeds ThreadLimit of 32 threads, decreasing "
        "to 32. To increase, please see the ThreadLimit directive.",
        "AH00316: WARNING: MaxRequestWorkers of 400 is not an integer multiple of "
        "ThreadsPerChild of 32, decreasing to nearest multiple 384, for a maximum of 12 "
        "servers.")),
    ("event", "ThreadsPerChild 0", [],
     ok("AH00509: WARNING: ThreadsPerChild of 0 not allowed, increasing to 1.",
        "AH00515: WARNING: MaxRequestWorkers of 400 would require 400 servers and would exceed "
        "ServerLimit of 16, decreasing to 16. To increase, please see the ServerLimit "
        "directive.")),
    ("event", "MaxClients 100", ["-e", "info"],
     (0, "[<TIMESTAMP>] [mpm_event:info] [pid <PID>:tid <TID>] AH00521: MaxClients is "
         "deprecated, use MaxRequestWorkers instead.\nSyntax OK\n")),
    ("worker", "Listen", [], syntax_error(4, "Listen requires 1 or 2 arguments.")),
    ("worker", "Listen 127.0.0.1:18080\nListen 127.0.0.1:18080", [],
     syntax_error(5, "Cannot define multiple Listeners on the same IP:port")),
    ("worker", "Listen 0", [], syntax_error(4, "Invalid address or port")),
    ("worker", "Listen 127.0.0.1", [], syntax_error(4, "Port must be specified")),
    ("worker", "Listen nosuchhost.invalid:80", [],
     (1, "[<TIMESTAMP>] [core:crit] [pid <PID>:tid <TID>] (EAI 2)Name or service not known: "
         "AH00077: alloc_listener: failed to set up sockaddr for nosuchhost.invalid\n"
         + syntax_error(4, "Listen setup failed")[1])),
    ("worker", "ListenBacklog abc", [], syntax_error(4, "ListenBacklog must be > 0")),
    ("worker", "SendBufferSize 511", [],
     syntax_error(4, "SendBufferSize must be >= 512 bytes, or 0 for system default.")),
    ("event", "AsyncRequestWorkerFactor abc", [], syntax_error(4, "error parsing value")),
    ("event", "AsyncRequestWorkerFactor 0", [],
     syntax_error(4, "AsyncRequestWorkerFactor argument must be a positive number")),
    ("worker", "AsyncRequestWorkerFactor 2", [],
     syntax_error(4, "Invalid command 'AsyncRequestWorkerFactor', perhaps misspelled or defined "
                     "by a module not included in the server configuration")),
    ("prefork", "<VirtualHost *:80>\n  StartServers 2\n</VirtualHost>", [],
     syntax_error(5, "StartServers cannot occur within <VirtualHost> section")),
    ("prefork", "<Directory />\n  MaxRequestWorkers 2\n</Directory>", [],
     syntax_error(5, "MaxRequestWorkers not allowed in <Directory> context")),
    ("prefork", "User nosuchuser-xyz", [], (1, "AH00543: httpd: bad user name nosuchuser-xyz\n")),
    ("prefork", "User nosuchuser-xyz", ["-e", "emerg"],
     (1, "AH00543: httpd: bad user name nosuchuser-xyz\n")),
    ("worker", "Group nosuchgrp-xyz", [], (1, "AH00544: httpd: bad group name nosuchgrp-xyz\n")),
    ("worker", "User root", [], syntax_error(4, ROOT_ERROR)),
    ("worker", "User #-1\nGroup #-1", [], ok()),
    ("worker", "Suexec On", [],
     syntax_error(4, "suEXEC isn't supported: Missing suexec binary /usr/lib/apache2/suexec")),
    ("worker", "ChrootDir /nonexistent-xyz", [],
     syntax_error(4, "ChrootDir must be a valid directory")),
    ("worker", "WatchdogInterval 99ms", [],
     syntax_error(4, "Invalid WatchdogInterval: minimal value 100ms")),
    ("worker", "WatchdogInterval abc", [],
     syntax_error(4, "Unparse-able WatchdogInterval setting")),
]


def _write(tmp_path, mpm: str, body: str) -> str:
    d = str(tmp_path)
    with open(os.path.join(d, "httpd.conf"), "w") as f:
        f.write(HEAD.format(mpm=mpm) + body + "\n")
    return d


@pytest.mark.parametrize("mpm,body,args,want", CASES,
                         ids=[f"{c[0]}:{c[1].splitlines()[0]}{''.join(c[2])}" for c in CASES])
def test_httpd_t(tmp_path, mpm, body, args, want):
    _write(tmp_path, mpm, body)
    assert apache.run_t(apache.HTTPD, tmp_path, args, mark="<D>") == want


APACHE = apache.APACHE


@pytest.mark.skipif(APACHE is None, reason="real Apache is not installed")
@pytest.mark.parametrize("mpm,body,args,want", CASES,
                         ids=[f"{c[0]}:{c[1].splitlines()[0]}{''.join(c[2])}" for c in CASES])
def test_pins_match_real_apache(tmp_path, mpm, body, args, want):
    _write(tmp_path, mpm, body)
    code, out = apache.run_t([APACHE], tmp_path, args, mark="<D>")
    assert (code, out.replace("apache2:", "httpd:")) == want
