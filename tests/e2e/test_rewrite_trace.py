"""mod_rewrite's `LogLevel rewrite:traceN` lines, line for line against real Apache.

What Apache's own test suite (httpd-tests, t/modules/rewrite.t at trace8) showed apart:
the lines of the helpers that get only the request carry no `[perdir ...]` part (map
lookups, env variables, split uri, prefix_stat, -U/-F checks); int:tolower logs the key
it lowered; txt maps log their per-process cache ("cache lookup FAILED" then "cache
lookup OK" for a key looked up again); an `expr` condition's input is '(null)' and
ap_expr_exec adds its "Evaluation of expression from FILE:LINE gave: N" (or "failed:"
at error level); prefix_stat's
compare line ends with a blank and startsWith logs at trace5; [P] in a directory does
not escape the target (2.4).  The expected lines are pinned; where apache2 is installed
both servers' whole traces must be equal.
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from .servers import APACHE, answer, start_pair, stop_pair

MODULES = ("authz_core", "rewrite")
REQUESTS = ("/d/map/ONE", "/d/map/ONE", "/d/map/TWO", "/ps", "/u", "/d/px/x%20y", "/e")


def _config(root: Path) -> str:
    docs = root / "docs"
    (docs / "d").mkdir(parents=True, exist_ok=True)
    for name in ("1.txt", "2.txt"):
        (docs / "d" / name).write_text(name + "\n")
    (docs / "one.txt").write_text("one\n")
    (root / "nums.txt").write_text("one 1\ntwo 2\n")
    return textwrap.dedent(f"""\
        DocumentRoot {docs}
        LogLevel warn rewrite:trace6
        <Directory {docs}>
        Require all granted
        Options FollowSymLinks
        </Directory>
        RewriteEngine On
        RewriteMap lower int:tolower
        RewriteMap nums txt:{root}/nums.txt
        RewriteRule ^/ps$ {docs}/one.txt
        RewriteCond %{{REQUEST_URI}} -U
        RewriteRule ^/u$ /one.txt
        RewriteCond expr "file('/nonexistent/x') == 'y'"
        RewriteRule ^/e$ /one.txt
        <Directory {docs}/d>
        RewriteEngine On
        RewriteCond expr "%{{REQUEST_URI}} =~ /map/"
        RewriteRule ^map/(\\w+)$ ${{nums:${{lower:$1}}}}.txt?x=1 [E=SEEN:yes,L]
        RewriteRule ^px/(.*)$ http://127.0.0.1/a/$1 [P]
        </Directory>
        """)


def _trace(server, root: Path) -> list[str]:
    """The rewrite lines of the error log, without what differs between two runs."""
    out = []
    for line in server.error_log.splitlines():
        if "[rewrite:" not in line:
            continue
        line = re.sub(r"^\[[^]]*\] ", "", line)                  # the time
        line = re.sub(r"\[pid [^]]*\] ", "", line)
        line = re.sub(r"\[client [^]]*\] ", "", line)
        line = re.sub(r"^(\[[^]]*\]) \S+\(\d+\): ", r"\1 ", line)  # the source line
        line = re.sub(r"(sid|rid)#[0-9a-f]+", r"\1", line)
        line = line.replace(str(server.root), "ROOT").replace(str(root), "ROOT")
        out.append(line)
    return out


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    root = tmp_path_factory.mktemp("rwtrace")
    pair = start_pair(root, _config(root), modules=MODULES)
    try:
        statuses = []
        for server in pair:
            if server is None:
                continue
            statuses.append([answer(server, f"GET {p} HTTP/1.1\r\nHost: localhost\r\n"
                                            "Connection: close\r\n\r\n")[0]
                             for p in REQUESTS])
    finally:
        stop_pair(pair)
    top = "/" + str(root).strip("/").split("/")[0]     # prefix_stat's first segment
    return statuses, [_trace(s, root) if s is not None else None for s in pair], top


PINNED = [
    "[rewrite:trace4] 127.0.0.1 - - [localhost/sid][rid/initial] [perdir ROOT/docs/d/] "
    "RewriteCond: input='(null)' "
    "pattern='%{REQUEST_URI} =~ /map/' => matched",
    "[rewrite:trace5] 127.0.0.1 - - [localhost/sid][rid/initial] map lookup OK: "
    "map=lower key=one -> val=one",
    "[rewrite:trace6] 127.0.0.1 - - [localhost/sid][rid/initial] cache lookup FAILED, "
    "forcing new map lookup",
    "[rewrite:trace5] 127.0.0.1 - - [localhost/sid][rid/initial] map lookup OK: "
    "map=nums[txt] key=one -> val=1",
    "[rewrite:trace5] 127.0.0.1 - - [localhost/sid][rid/initial] cache lookup OK: "
    "map=nums[txt] key=one -> val=1",
    "[rewrite:trace5] 127.0.0.1 - - [localhost/sid][rid/initial] setting env variable "
    "'SEEN' to 'yes'",
    "[rewrite:trace3] 127.0.0.1 - - [localhost/sid][rid/initial] split uri="
    "ROOT/docs/d/1.txt?x=1 -> uri=ROOT/docs/d/1.txt, args=x=1",
    "[rewrite:trace5] 127.0.0.1 - - [localhost/sid][rid/initial] prefix_stat "
    "startsWith(ROOT/docs/one.txt, TOP) 1",
    "[rewrite:trace5] 127.0.0.1 - - [localhost/sid][rid/initial] RewriteCond URI "
    "(-U check: path=/u -> status=200",
    "[rewrite:trace2] 127.0.0.1 - - [localhost/sid][rid/initial] [perdir ROOT/docs/d/] "
    "forcing proxy-throughput with http://127.0.0.1/a/x y",
    "[rewrite:error] AH10160: attempt to make remote request from mod_rewrite without "
    "proxy enabled: proxy:http://127.0.0.1/a/x y",
]


def test_statuses(traces):
    statuses = traces[0]
    assert statuses[0] == [200, 200, 200, 200, 200, 403, 404]
    if len(statuses) > 1:
        assert statuses[0] == statuses[1]


@pytest.mark.parametrize("line", PINNED, ids=range(len(PINNED)))
def test_pinned_line(traces, line):
    statuses, lines, top = traces
    assert line.replace("TOP", top) in lines[0], "\n".join(lines[0])


def test_prefix_stat_compare_line_ends_with_a_blank(traces):
    ours = traces[1][0]
    assert any(line.endswith(" STATOK 0 ") for line in ours if "prefix_stat compare" in line)


def test_expression_trace(traces):
    ours = traces[1][0]
    assert any(re.search(r"\[rewrite:trace4\] Evaluation of expression from "
                         r"ROOT/httpd\.conf:\d+ gave: 1$", line) for line in ours), ours


def test_expression_failure(traces):
    ours = traces[1][0]
    n = [i for i, line in enumerate(ours) if re.fullmatch(
        r"\[rewrite:error\] Evaluation of expression from ROOT/httpd\.conf:\d+ failed: "
        r"Cannot open file /nonexistent/x", line)]
    assert n, ours
    assert ours[n[0] + 1].endswith("RewriteCond: expr='file('/nonexistent/x') == 'y'' "
                                   "evaluation failed: Cannot open file /nonexistent/x")


@pytest.mark.skipif(APACHE is None, reason="apache2 is not installed")
def test_same_trace_as_apache(traces):
    ours, theirs = traces[1]
    assert ours == theirs


@pytest.mark.skipif(APACHE is None, reason="apache2 is not installed")
def test_differential_config_same_trace(tmp_path):
    """test_rewrite_differential's config and requests at trace8: the same lines."""
    from . import test_rewrite_differential as diff
    docs = diff.make_docs(tmp_path)
    body = diff.config(tmp_path, docs) + "LogLevel warn rewrite:trace8\n"
    pair = start_pair(tmp_path, body, modules=diff.MODULES)
    try:
        for server in pair:
            for path in diff.REQUESTS:
                answer(server, diff.request(path))
    finally:
        stop_pair(pair)
    ours, theirs = ([re.sub(r"expires=[^;']*", "expires=X", line)
                     for line in _trace(s, tmp_path)] for s in pair)
    assert len(ours) > 1000
    assert ours == theirs
