"""util_script's pure parts: ap_find_path_info, http2env, ap_create_environment, and
the ISINDEX argv of mod_cgi's default_build_command."""
from __future__ import annotations

import pytest

from httpd.http import util_script
from httpd.http.util_script import create_environment, find_path_info, http2env
from httpd.util.escape import escape_shell_cmd
from httpd.util.uri import unescape_url


@pytest.mark.parametrize("uri,path_info,script_name", [
    ("/cgi-bin/env.sh/extra/path", "/extra/path", "/cgi-bin/env.sh"),
    ("/cgi-bin//env.sh//x//y", "/x/y", "/cgi-bin//env.sh"),
    ("/cgi-bin/env.sh/", "/", "/cgi-bin/env.sh"),
    ("/a/b", "/nomatch", "/a/b"),
])
def test_find_path_info(uri, path_info, script_name):
    assert uri[:find_path_info(uri, path_info)] == script_name


def test_find_path_info_usual_case_is_the_walk():
    """find_path_info's shortcut (the path info the end of a URI without "//") gives
    what Apache's walk gives, over URIs with and without runs of slashes."""
    import itertools
    parts = ["", "/", "//", "a", "/a", "/a/", "a/b", "/a//b", "/app/x.wsgi", "/%2f/"]
    for u1, u2, p in itertools.product(parts, parts, parts):
        uri = "/" + u1 + u2
        for path_info in (p, u2, u2 + p, "/" + u2, uri, uri[1:]):
            assert find_path_info(uri, path_info) == \
                util_script._find_path_info_walk(uri, path_info), (uri, path_info)


def test_header_vars_is_the_field_by_field_walk(monkeypatch):
    """header_vars's one comprehension gives what the walk over the fields gives:
    first values of repeated names, unexported names left out, in order."""
    monkeypatch.setattr(util_script, "_ENV_OF", {})
    heads = [
        [("Host", "h"), ("User-Agent", "u"), ("Accept", "*/*")],
        [("Host", "h"), ("X_Bad", "b"), ("Proxy", "p"), ("Accept", "a")],
        [("Cookie", "1"), ("cookie", "2"), ("COOKIE", "3"), ("Content-Type", "t/p")],
        [("Proxy", "p")],
        [("X_Bad", "b"), ("Content-Length", "3")],
        [],
        [("A-B", "1"), ("A_B", "2"), ("a-b", "3")],
        [("Authorization", "Basic x"), ("Proxy-Authorization", "y")],
    ]
    for _ in range(3):
        for items in heads:
            got, want = util_script.header_vars(items), util_script._header_vars_walk(items)
            assert got == want and list(got) == list(want), items


def test_http2env():
    assert http2env("X-Foo-Bar") == "HTTP_X_FOO_BAR"
    assert http2env("x_under") is None           # not exported, as Apache
    assert http2env("Accept") == "HTTP_ACCEPT"


def test_field_names_translated_once_and_bounded(monkeypatch):
    monkeypatch.setattr(util_script, "_ENV_OF", {})
    monkeypatch.setattr(util_script, "_ENV_OF_MAX", 3)
    of = util_script._env_of
    assert [of(n) for n in ("content-TYPE", "Content-Length", "PROXY")] == \
        ["CONTENT_TYPE", "CONTENT_LENGTH", None]
    assert of("Authorization") == "HTTP_AUTHORIZATION"   # dropped later unless CGIPassAuth
    assert len(util_script._ENV_OF) <= 3


def test_server_paths_follow_the_environment(monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", "/one")
    assert util_script._os_paths()[1] == "/one"
    monkeypatch.setenv("LD_LIBRARY_PATH", "/two")
    assert util_script._os_paths()[1] == "/two"
    monkeypatch.delenv("LD_LIBRARY_PATH")
    assert util_script._os_paths()[1] is None


def test_create_environment_renames_as_apache():
    env = create_environment({"1ABC": "x", "A-B.C": "y", "OK_1": "z"})
    assert env["_ABC"] == "x" and env["A_B_C"] == "y" and env["OK_1"] == "z"


def test_isindex_argument_escaping():
    assert escape_shell_cmd(unescape_url("a%3Bb")) == "a\\;b"
    assert escape_shell_cmd("$(x)`y`") == "\\$\\(x\\)\\`y\\`"
    assert unescape_url("bad%zz%41%00rest") == "bad%zzA"


def test_common_vars_overlap_what_the_environment_held(server):
    """ap_add_common_vars' values replace those of the same name already in
    r.subprocess_env (apr_table_overlap SET), a field repeated arrives merged,
    and PATH / LD_LIBRARY_PATH set before (SetEnv) are kept."""
    s = server("DocumentRoot $ROOT/htdocs\n", {"htdocs/a.txt": "a"})
    r = s.get("/a.txt", headers=[("X-A", "1"), ("x-a", "2"), ("Authorization", "B x"),
                                 ("Proxy", "p")])
    r.subprocess_env.update({"HTTP_X_A": "old", "PATH": "/mine", "LD_LIBRARY_PATH": "/l",
                             "REMOTE_ADDR": "old", "HTTP_AUTHORIZATION": "kept",
                             "OTHER": "o"})
    util_script.add_common_vars(r)
    e = r.subprocess_env
    assert (e["HTTP_X_A"], e["PATH"], e["LD_LIBRARY_PATH"], e["REMOTE_ADDR"]) == \
        ("1, 2", "/mine", "/l", "127.0.0.1")
    assert e["HTTP_AUTHORIZATION"] == "kept" and "HTTP_PROXY" not in e
    assert e["OTHER"] == "o" and e["SERVER_NAME"] == "localhost"
    assert e["DOCUMENT_ROOT"].endswith("/htdocs") and e["SCRIPT_FILENAME"].endswith("/a.txt")
    assert list(e)[:7] == ["HTTP_X_A", "PATH", "LD_LIBRARY_PATH", "REMOTE_ADDR",
                           "HTTP_AUTHORIZATION", "OTHER", "HTTP_HOST"]
