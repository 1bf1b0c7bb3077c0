"""The pipeline memo (httpd/request/process.py: _record and its replay): a request to a
URI whose run was kept replays it after one stat, and answers exactly what the phases
would.  Each test runs requests with the memo and the same requests with it off, and
compares the records the phases leave (every field, the notes, the environment)."""
from __future__ import annotations

import os
import shutil

import pytest

from httpd.request import process as P
from httpd.request.process import generation
from httpd.request.subrequest import sub_req_lookup_uri
from tests.request.pipeline import PREFIX

OPEN = """DocumentRoot $ROOT/htdocs
<Directory />
AllowOverride None
Require all denied
</Directory>
<Directory $ROOT/htdocs>
Options FollowSymLinks
Require all granted
</Directory>
<Directory $ROOT/htdocs/closed>
Require all denied
</Directory>
<Files *.secret>
Require all denied
</Files>
"""
FILES = {"htdocs/a.txt": "a", "htdocs/b.html": "<p>b</p>", "htdocs/d/index.html": "i",
         "htdocs/closed/c.txt": "c", "htdocs/x.secret": "s"}


@pytest.fixture
def runs(monkeypatch):
    """Counts of _pipeline's runs (a replay runs none)."""
    calls = []
    real = P._pipeline

    def counting(r, gen):
        calls.append(r.uri)
        return real(r, gen)
    monkeypatch.setattr(P, "_pipeline", counting)
    return calls


def view(r) -> dict:
    """What the phases left on the final request (the stat by identity and type)."""
    fields = dict(zip(P._MEMO_FIELDS, P._memo_snapshot(r)))
    for name in ("prev", "next", "main", "read_body", "discard_body", "request_time",
                 "log_id"):
        fields.pop(name, None)
    fields["per_dir_config"] = id(fields["per_dir_config"])
    st = r.finfo
    return {"fields": fields, "notes": {k: v for k, v in r.notes.items()},
            "env": dict(r.subprocess_env), "status": r.status,
            "finfo": None if st is None else (st.st_ino, st.st_mode, st.st_size),
            "headers_out": r.headers_out.items()}


def kept(s) -> list:
    """The file names of the memo's entries."""
    return [os.fsdecode(e[0]) for e in generation(s.process).memo.values()
            if e.__class__ is tuple]


def both(s, target: str, **kw) -> tuple[dict, dict]:
    """The request with the memo as it stands, then with it off."""
    gen = generation(s.process)
    with_memo = view(s.get(target, **kw))
    memo, gen.memo = gen.memo, None
    try:
        without = view(s.get(target, **kw))
    finally:
        gen.memo = memo
    return with_memo, without


def test_a_second_request_is_replayed_and_answers_the_same(server, runs):
    s = server(OPEN, FILES)
    assert generation(s.process).memo is not None
    first = view(s.get("/a.txt?x=1"))          # the phases: the key becomes a candidate
    s.get("/a.txt?z=3")                         # the phases again, recorded
    n = len(runs)
    again, without = both(s, "/a.txt?y=2", headers=[("User-Agent", "other")])
    assert len(runs) == n + 1                   # only the memo-less run ran the phases
    assert again == without
    assert again["fields"]["content_type"] == "text/plain"
    assert first["fields"] == {**again["fields"], "args": "x=1",
                               "unparsed_uri": "/a.txt?x=1",
                               "the_request": "GET /a.txt?x=1 HTTP/1.1"}


def test_each_uri_and_method_its_own_entry(server, runs):
    s = server(OPEN, FILES)
    for target in ("/a.txt", "/b.html") * 3:
        s.get(target)
    assert len(runs) == 4                       # each: a probe, a recorded run, a replay
    head = s.get("/a.txt", method="HEAD")       # HEAD is M_GET: the same entry
    post = s.get("/a.txt", method="POST")       # another method number: its own run
    assert len(runs) == 5 and head.content_type == post.content_type == "text/plain"


def test_denied_is_never_kept(server, runs):
    s = server(OPEN, FILES)
    for _ in range(2):
        assert s.get("/closed/c.txt").status == 403
        assert s.get("/x.secret").status == 403
    assert len(runs) == 4
    assert kept(s) == []
    s.get("/a.txt")
    s.get("/a.txt")
    assert [os.path.basename(p) for p in kept(s)] == ["a.txt"]


def test_not_found_is_kept_as_a_negative_entry(server, runs):
    s = server(OPEN, FILES)
    for _ in range(2):
        assert s.get("/nothing.txt").status == 404
    assert len(runs) == 2                       # a probe, a recorded run
    with_memo, without = both(s, "/nothing.txt?q=1")
    assert len(runs) == 3                       # the replay ran no phase
    assert with_memo == without and with_memo["status"] == 404
    assert with_memo["finfo"] is None
    assert with_memo["fields"]["filename"] == str(s.root / "htdocs" / "nothing.txt")
    # the entry names the deepest existing directory (and the missing component)
    assert kept(s) == [str(s.root / "htdocs")]


def _negative(s, target: str, runs) -> None:
    """``target`` answered twice (kept), then replayed once."""
    for _ in range(2):
        s.get(target)
    n = len(runs)
    with_memo, without = both(s, target)
    assert with_memo == without and len(runs) == n + 1


def test_a_404_then_a_created_file(server, runs):
    s = server(OPEN, FILES)
    _negative(s, "/new.txt", runs)
    (s.root / "htdocs" / "new.txt").write_text("new")
    for _ in range(3):
        r = s.get("/new.txt")
        assert r.status == 200 and r.content_type == "text/plain"


def test_a_missing_directory_created_then_its_file(server, runs):
    s = server(OPEN, FILES)
    doc = s.root / "htdocs"
    _negative(s, "/sub/x.txt", runs)
    assert s.get("/sub/x.txt").filename == str(doc / "sub")
    (doc / "sub").mkdir()
    for _ in range(3):          # now the walk stops one level lower: another entry
        with_memo, without = both(s, "/sub/x.txt")
        assert with_memo == without and with_memo["status"] == 404
        assert with_memo["fields"]["filename"] == str(doc / "sub" / "x.txt")
    (doc / "sub" / "x.txt").write_text("x")
    with_memo, without = both(s, "/sub/x.txt")
    assert with_memo == without and with_memo["status"] == 200


def test_a_replaced_directory_and_a_file_in_its_place(server, runs):
    s = server(OPEN.replace("Require all granted", "Require all granted\n"
                            "AcceptPathInfo On"), {**FILES, "htdocs/sub/y.txt": "y"})
    doc = s.root / "htdocs"
    _negative(s, "/sub/x.txt", runs)
    (doc / "sub2").mkdir()                       # another inode, the same answer
    shutil.rmtree(doc / "sub")
    os.rename(doc / "sub2", doc / "sub")
    n = len(runs)
    with_memo, without = both(s, "/sub/x.txt")
    assert with_memo == without and len(runs) == n + 2
    shutil.rmtree(doc / "sub")
    (doc / "sub").write_text("a file")           # /sub with path info /x.txt
    for _ in range(3):
        with_memo, without = both(s, "/sub/x.txt")
        assert with_memo == without and with_memo["status"] == 200
        assert with_memo["fields"]["path_info"] == "/x.txt"


def test_a_link_put_where_the_file_was_missing(server, runs):
    s = server(OPEN, FILES)
    doc = s.root / "htdocs"
    _negative(s, "/l.txt", runs)
    os.symlink(s.root / "nowhere", doc / "l.txt")      # dangling: 403 (AH00037)
    with_memo, without = both(s, "/l.txt")
    assert with_memo == without and with_memo["status"] == 403
    os.unlink(doc / "l.txt")
    os.symlink(doc / "a.txt", doc / "l.txt")
    with_memo, without = both(s, "/l.txt")
    assert with_memo == without and with_memo["status"] == 200


def test_a_directory_swapped_for_a_link_to_itself(server, runs):
    # explicit FollowSymLinks: the link is followed, the same 404 (the replay may stand)
    s = server(OPEN, {**FILES, "htdocs/sub/y.txt": "y"})
    doc = s.root / "htdocs"
    _negative(s, "/sub/x.txt", runs)
    os.rename(doc / "sub", s.root / "moved")
    os.symlink(s.root / "moved", doc / "sub")
    with_memo, without = both(s, "/sub/x.txt")
    assert with_memo == without and with_memo["status"] == 404


def test_without_explicit_symlink_options_below_the_root_no_negative_entry(server, runs):
    # the built-in default checks where a link below the root leads: a 404 under an
    # existing subdirectory depends on more than its stat, so it is never kept
    s = server(OPEN.replace("Options FollowSymLinks\n", ""),
               {**FILES, "htdocs/sub/y.txt": "y"})
    doc = s.root / "htdocs"
    for _ in range(3):
        assert s.get("/sub/x.txt").status == 404
    assert len(runs) == 3 and kept(s) == []
    os.rename(doc / "sub", s.root / "moved")     # the same directory, outside the root
    os.symlink(s.root / "moved", doc / "sub")
    with_memo, without = both(s, "/sub/x.txt")
    assert with_memo == without and with_memo["status"] == 403
    # directly under the root, the missing name alone is lstat'ed below it: kept
    _negative(s, "/gone.txt", runs)


def test_symlinks_if_owner_match_keeps_no_negative_entry(server, runs):
    s = server(OPEN.replace("Options FollowSymLinks", "Options SymLinksIfOwnerMatch"),
               {**FILES, "htdocs/sub/y.txt": "y"})
    for _ in range(3):
        assert s.get("/sub/x.txt").status == 404
    assert len(runs) == 3


def test_a_negative_subrequest_for_path_translated(server, runs):
    from httpd.request.subrequest import lookup_uri_path
    s = server(OPEN, FILES)
    doc = s.root / "htdocs"
    answers = []
    for _ in range(4):
        r = s.get("/a.txt")
        answers.append(lookup_uri_path("/api/items/3", r))
    assert answers == [str(doc / "api/items/3")] * 4
    (doc / "api").mkdir()
    (doc / "api" / "items").write_text("a file")
    r = s.get("/a.txt")
    assert lookup_uri_path("/api/items/3", r) == str(doc / "api/items/3")
    rr = sub_req_lookup_uri("/api/items/3", r)
    assert (rr.filename, rr.path_info) == (str(doc / "api/items"), "/3")


def test_a_removed_file_and_a_file_become_a_directory(server, runs):
    s = server(OPEN, FILES)
    doc = s.root / "htdocs"
    for _ in range(3):
        s.get("/b.html")
    assert len(runs) == 2
    (doc / "b.html").unlink()
    assert s.get("/b.html").status == 404
    (doc / "b.html").mkdir()
    (doc / "b.html" / "index.html").write_text("dir")
    with_memo, without = both(s, "/b.html")
    assert with_memo == without
    assert with_memo["status"] == 301            # mod_dir's trailing-slash redirect
    shutil.rmtree(doc / "b.html")
    (doc / "b.html").write_text("again")
    with_memo, without = both(s, "/b.html")
    assert with_memo == without and with_memo["fields"]["content_type"] == "text/html"


def test_a_replaced_file_is_stat_ed_again(server, runs):
    s = server(OPEN, FILES)
    doc = s.root / "htdocs"
    s.get("/a.txt")
    (doc / "a2").write_text("longer content")
    os.replace(doc / "a2", doc / "a.txt")        # another inode: the phases run again
    r = s.get("/a.txt")
    assert len(runs) == 2 and r.finfo.st_size == len("longer content")
    (doc / "a.txt").write_text("same inode, other size")
    r = s.get("/a.txt")                          # the replay takes the new stat
    assert len(runs) == 2 and r.finfo.st_size == len("same inode, other size")


def test_a_changed_htaccess_takes_effect(server, runs):
    s = server(OPEN.replace("Options FollowSymLinks", "Options FollowSymLinks\n"
                            "AllowOverride All"), FILES)
    doc = s.root / "htdocs"
    assert s.get("/a.txt").content_type == "text/plain"
    (doc / ".htaccess").write_text("ForceType application/x-changed\n")
    assert s.get("/a.txt").content_type == "application/x-changed"
    (doc / ".htaccess").write_text("Require all denied\n")
    assert s.get("/a.txt").status == 403
    (doc / ".htaccess").unlink()
    assert s.get("/a.txt").content_type == "text/plain"
    assert len(runs) == 4 and not generation(s.process).memo   # a walk that reads .htaccess


def test_require_by_client_address_is_asked_every_time(server, runs):
    s = server(OPEN.replace("Options FollowSymLinks\nRequire all granted",
                            "Options FollowSymLinks\nRequire ip 127.0.0.1"), FILES)
    assert s.get("/a.txt").status == 200
    assert s.get("/a.txt", client_ip="10.1.2.3").status == 403
    assert s.get("/a.txt").status == 200
    assert len(runs) == 3


def test_require_method_is_kept_per_method(server, runs):
    s = server(OPEN.replace("Options FollowSymLinks\nRequire all granted",
                            "Options FollowSymLinks\nRequire method GET"), FILES)
    for _ in range(3):
        assert s.get("/a.txt").status == 200
        assert s.get("/a.txt", method="POST").status == 403
    assert len(runs) == 5                       # GET: a probe and a recorded run


def test_an_if_section_is_evaluated_every_time(server, runs):
    s = server(OPEN + '<If "%{QUERY_STRING} == \'x\'">\nForceType text/x-if\n</If>\n', FILES)
    assert s.get("/a.txt?x").content_type == "text/x-if"
    assert s.get("/a.txt?y").content_type == "text/plain"
    assert s.get("/a.txt?x").content_type == "text/x-if"
    assert len(runs) == 3


def test_a_handler_expression_is_evaluated_every_time(server, runs):
    s = server(OPEN + '<Files a.txt>\nSetHandler "expr=%{QUERY_STRING}"\n</Files>\n', FILES)
    a = s.get("/a.txt?none")
    b = s.get("/a.txt?none")
    assert a.status == b.status and len(runs) == 2


def test_loglevel_info_turns_it_off(server, runs):
    s = server(OPEN + "LogLevel info\n", FILES)
    s.get("/a.txt")
    s.get("/a.txt")
    assert len(runs) == 2


def test_symlinks_if_owner_match_walks_every_time(server, runs):
    s = server(OPEN.replace("Options FollowSymLinks", "Options SymLinksIfOwnerMatch"),
               {**FILES, "htdocs/l.txt": ("->", "a.txt")})
    assert s.get("/l.txt").status == 200
    os.unlink(s.root / "htdocs" / "l.txt")
    os.symlink("/etc/hostname", s.root / "htdocs" / "l.txt")   # root's, not ours
    with_memo, without = both(s, "/l.txt")
    assert with_memo == without
    assert len(runs) == 3


def test_a_link_below_the_root_without_explicit_options(server, runs):
    # the built-in default follows links only while they stay inside the root: such a
    # walk lstats and checks the target, so it is never kept
    s = server(OPEN.replace("Options FollowSymLinks\n", ""),
               {**FILES, "htdocs/l.txt": ("->", "a.txt")})
    assert s.get("/l.txt").status == 200
    other = s.root / "outside.txt"
    other.write_text("o")
    os.unlink(s.root / "htdocs" / "l.txt")
    os.symlink(other, s.root / "htdocs" / "l.txt")
    assert s.get("/l.txt").status == 403
    assert len(runs) == 2


def test_path_info_and_normalised_uris(server, runs):
    s = server(OPEN.replace("Require all granted", "Require all granted\n"
                            "AcceptPathInfo On"), FILES)
    for target in ("/a.txt/more", "//a.txt", "/./a.txt", "/%61.txt"):
        with_memo, without = both(s, target)
        again = view(s.get(target))
        assert with_memo == without
        assert {**again, "fields": {**again["fields"], "unparsed_uri": None,
                                    "the_request": None}} == \
            {**without, "fields": {**without["fields"], "unparsed_uri": None,
                                   "the_request": None}}


def test_subrequests_answer_as_the_phases_do(server, runs):
    s = server(OPEN, FILES)
    answers = []
    for _ in range(3):
        r = s.get("/b.html")
        for uri in ("/a.txt", "/closed/c.txt", "/x.secret", "/d/index.html"):
            rr = sub_req_lookup_uri(uri, r)
            answers.append((uri, rr.status, rr.filename, rr.content_type,
                            id(rr.per_dir_config)))
    first = answers[:4]
    assert answers[4:8] == first and answers[8:] == first
    assert [a[1] for a in first] == [200, 403, 403, 200]
    gen = generation(s.process)
    memo, gen.memo = gen.memo, None
    try:
        r = s.get("/b.html")
        plain = [(uri, rr.status, rr.filename, rr.content_type, id(rr.per_dir_config))
                 for uri in ("/a.txt", "/closed/c.txt", "/x.secret", "/d/index.html")
                 for rr in [sub_req_lookup_uri(uri, r)]]
    finally:
        gen.memo = memo
    assert plain == first


def test_a_subrequest_in_its_parents_config_takes_the_parents_user(server, runs):
    s = server(OPEN, FILES)
    for user in ("alice", "bob"):
        r = s.get("/b.html")
        r.user, r.ap_auth_type = user, "Basic"
        rr = sub_req_lookup_uri("/a.txt", r)
        # /a.txt and /b.html land in the same sections: the parent's access decision
        assert rr.per_dir_config is r.per_dir_config
        assert (rr.status, rr.user, rr.ap_auth_type) == (200, user, "Basic")


def test_the_memo_is_bounded(server, runs, monkeypatch):
    monkeypatch.setattr(P, "MAX_MEMO", 2)
    s = server(OPEN, FILES)
    for target in ("/a.txt", "/b.html", "/d/index.html", "/a.txt"):
        s.get(target)
    assert len(generation(s.process).memo) <= 2


def test_off_when_an_undeclared_function_joins_a_phase(server):
    # mod_rewrite's hooks read whatever the rules name (headers, the client, time)
    s = server(OPEN, FILES, prefix=PREFIX + "LoadModule rewrite_module "
               "modules/mod_rewrite.so\n")
    assert generation(s.process).memo is None


def test_threads_meeting_if_sections_and_memo_hits(server):
    # worker and event serve requests in threads: one request's <If> walk must keep
    # its run out of the memo whatever the other threads record meanwhile
    import threading
    s = server(OPEN + "<Directory $ROOT/htdocs/d>\n<If \"%{QUERY_STRING} == 'x'\">\n"
               "ForceType text/x-if\n</If>\n</Directory>\n", FILES)
    wrong = []

    def work(n: int) -> None:
        for i in range(150):
            if (i + n) % 2:
                r = s.get("/a.txt")
                if r.content_type != "text/plain":
                    wrong.append(("/a.txt", r.content_type))
            else:
                q = "x" if i % 4 < 2 else "y"
                r = s.get(f"/d/index.html?{q}")
                want = "text/x-if" if q == "x" else "text/html"
                if r.content_type != want:
                    wrong.append((q, r.content_type))
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not wrong
    assert kept(s) and not [p for p in kept(s) if p.endswith("index.html")]


DEBIANISH = PREFIX + "".join(
    f"LoadModule {m}_module modules/mod_{m}.so\n"
    for m in ("env", "setenvif", "negotiation", "access_compat", "headers")) + \
    'BrowserMatch "Mozilla/2" nokeepalive\nAddEncoding x-gzip .gz\n'


def test_a_debian_like_module_set_keeps_the_memo_on(server, runs):
    s = server(OPEN, {**FILES, "htdocs/t.txt.gz": "z"}, prefix=DEBIANISH)
    assert generation(s.process).memo is not None
    s.get("/a.txt")
    for ua in ("Mozilla/2.0", "curl/8"):
        with_memo, without = both(s, "/a.txt", headers=[("User-Agent", ua)])
        assert with_memo == without
        assert ("nokeepalive" in with_memo["env"]) is (ua == "Mozilla/2.0")
    # the server's BrowserMatch ran before the phases: the replays kept it
    assert len([u for u in runs if u == "/a.txt"]) == 4
    # an encoded file: fix_encoding reads Accept-Encoding, so it is asked every time
    for accept in ("x-gzip", "gzip"):
        with_memo, without = both(s, "/t.txt.gz", headers=[("Accept-Encoding", accept)])
        assert with_memo == without
        assert with_memo["fields"]["content_encoding"] == accept


def test_section_lines_of_the_declared_modules_are_asked_every_time(server, runs):
    s = server(OPEN + "<Directory $ROOT/htdocs/d>\nBrowserMatch curl is_curl\n"
               "SetEnv FROM_SETENV yes\nRequestHeader set X-Edit 1\n"
               "Order deny,allow\nDeny from 10.0.0.0/8\n</Directory>\n", FILES,
               prefix=DEBIANISH)
    for ua, ip in (("curl/8", "127.0.0.1"), ("other", "127.0.0.1"), ("curl/8", "10.1.1.1"),
                   ("curl/8", "127.0.0.1")):
        with_memo, without = both(s, "/d/index.html", headers=[("User-Agent", ua)],
                                  client_ip=ip)
        assert with_memo == without
        if ip.startswith("10."):
            assert with_memo["status"] == 403
        else:
            assert ("is_curl" in with_memo["env"]) is (ua == "curl/8")
            assert with_memo["env"]["FROM_SETENV"] == "yes"
    assert not [p for p in kept(s) if p.endswith("index.html")]


def test_a_missing_file_under_fallback_resource_or_multiviews_is_asked_every_time(server,
                                                                                  runs):
    # FallbackResource's subrequest carries the query; MultiViews reads the directory
    s = server(OPEN + "<Directory $ROOT/htdocs/fb>\nFallbackResource /a.txt\n</Directory>\n"
               "<Directory $ROOT/htdocs/mv>\nOptions +MultiViews\n</Directory>\n",
               {**FILES, "htdocs/fb/x": "x", "htdocs/mv/x": "x"},
               prefix=PREFIX + "LoadModule negotiation_module modules/mod_negotiation.so\n")
    for q in ("1", "2", "3"):
        r = s.get(f"/fb/gone?{q}")
        assert r.status == 200 and r.filename == str(s.root / "htdocs" / "a.txt")
    assert [u for u in runs if u.startswith("/fb/")] == ["/fb/gone"] * 3
    for _ in range(3):
        assert s.get("/mv/page").status == 404
    (s.root / "htdocs" / "mv" / "page.html").write_text("p")
    with_memo, without = both(s, "/mv/page")
    assert with_memo == without and with_memo["status"] == 200
    assert runs.count("/mv/page") == 5            # every request ran the phases
