"""The directory walk's resume points (ServerSections.resume): a walk for a name that
does not exist starts at the deepest directory an earlier such walk found, after a stat
saying it still is one.  Each request runs twice: as it comes (the memo off, so the walk
runs) and with the resume points forgotten; both must leave the same record."""
from __future__ import annotations

import os
import shutil

from httpd.request.process import generation
from tests.request.test_pipeline_memo import OPEN, view

FILES = {"htdocs/a.txt": "a", "htdocs/sub/deep/y.txt": "y"}


def _sections(s):
    walker = generation(s.process).walker
    return walker.sections_of(s.process.main_server)


def both(s, target: str) -> tuple[dict, dict]:
    gen = generation(s.process)
    memo, gen.memo = gen.memo, None
    try:
        resumed = view(s.get(target))
        ss = _sections(s)
        kept = dict(ss.resume)
        ss.resume.clear()
        try:
            walked = view(s.get(target))
        finally:
            ss.resume.clear()
            ss.resume.update(kept)
    finally:
        gen.memo = memo
    return resumed, walked


def test_ids_below_a_missing_name_resume_at_the_root(server):
    s = server(OPEN.replace("Require all granted", "Require all granted\n"
                            "AcceptPathInfo On"), FILES)
    doc = str(s.root / "htdocs")
    for n in range(3):
        resumed, walked = both(s, f"/api/items/{n}")
        assert resumed == walked and resumed["status"] == 404
        assert resumed["fields"]["filename"] == doc + "/api"
    assert (doc, doc) in _sections(s).resume
    for n in range(3):          # below a file: path info, the same from the resume point
        resumed, walked = both(s, f"/a.txt/items/{n}")
        assert resumed == walked and resumed["fields"]["path_info"] == f"/items/{n}"


def test_a_resume_point_replaced_or_swapped(server):
    s = server(OPEN, FILES)
    doc = s.root / "htdocs"
    for n in range(2):
        assert both(s, f"/sub/deep/x{n}")[0]["status"] == 404
    assert (str(doc / "sub" / "deep"), str(doc)) in _sections(s).resume
    shutil.rmtree(doc / "sub" / "deep")
    (doc / "sub" / "deep").write_text("now a file")      # the resume point is no directory
    resumed, walked = both(s, "/sub/deep/x9")
    assert resumed == walked and resumed["fields"]["filename"] == str(doc / "sub" / "deep")
    os.unlink(doc / "sub" / "deep")
    (doc / "sub" / "deep").mkdir()
    os.rename(doc / "sub", s.root / "moved")             # a component above: now a link
    os.symlink(s.root / "moved", doc / "sub")            # (explicit FollowSymLinks)
    resumed, walked = both(s, "/sub/deep/x9")
    assert resumed == walked and resumed["status"] == 404
    shutil.rmtree(s.root / "moved")                      # the link now leads nowhere
    resumed, walked = both(s, "/sub/deep/x9")
    assert resumed == walked and resumed["status"] == 403


def test_no_resume_point_below_the_root_without_explicit_symlink_options(server):
    s = server(OPEN.replace("Options FollowSymLinks\n", ""), FILES)
    doc = s.root / "htdocs"
    for n in range(2):
        assert both(s, f"/sub/deep/x{n}")[0]["status"] == 404
    assert [k for k in _sections(s).resume if k[0].startswith(str(doc) + "/")] == []
    os.rename(doc / "sub", s.root / "moved")             # the same directories, outside
    os.symlink(s.root / "moved", doc / "sub")
    resumed, walked = both(s, "/sub/deep/x9")
    assert resumed == walked and resumed["status"] == 403
