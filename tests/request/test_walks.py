"""The per-directory walks (httpd/request/directory_walk.py, section_walks.py): patterns, path_info, symlink policy, caching."""
from __future__ import annotations

import os

import pytest
import structlog

from httpd.http.request import generation
from httpd.request.directory_walk import canonical_filename, fnmatch_regex

OPEN = """DocumentRoot $ROOT/htdocs
<Directory />
Require all denied
</Directory>
<Directory $ROOT/htdocs>
Require all granted
</Directory>
<Directory $ROOT/outside>
Require all granted
</Directory>
"""
FILES = {"htdocs/a.txt": "a", "htdocs/sub/b.txt": "b", "outside/secret.txt": "secret",
         "htdocs/inner/c.txt": "c"}


class TestPatterns:
    @pytest.mark.parametrize("pattern,path,match", [
        ("/srv/*/x/", "/srv/a/x/", True), ("/srv/*/x/", "/srv/a/b/x/", False),
        ("*.txt", "a.txt", True), ("*.txt", "dir/a.txt", False), ("a?c", "abc", True),
        ("a?c", "a/c", False), ("[ab]x", "bx", True), ("[!ab]x", "cx", True),
        ("[!ab]x", "ax", False), ("\\*x", "*x", True), ("\\*x", "ax", False),
        ("[", "[", True),
    ])
    def test_fnmatch_pathname(self, pattern, path, match):
        assert bool(fnmatch_regex(pattern).match(path)) is match

    @pytest.mark.parametrize("path,want", [
        ("/a/b", "/a/b"), ("/a//b/", "/a/b/"), ("/a/./b", "/a/b"), ("/a/b/..", "/a/"),
        ("relative", None), ("/", "/"),
    ])
    def test_canonical_filename(self, path, want):
        assert canonical_filename(path) == want


class TestDirectoryWalk:
    def test_path_info_is_what_does_not_exist(self, server):
        s = server(OPEN + "AcceptPathInfo On\n", FILES)
        r = s.get("/sub/b.txt/x/y")
        assert r.status == 200
        assert r.filename.endswith("/htdocs/sub/b.txt") and r.path_info == "/x/y"
        r = s.get("/nothere/x/y")
        assert r.filename.endswith("/htdocs/nothere") and r.path_info == "/x/y"

    def test_directory_sections_merge_short_to_long(self, server):
        s = server(OPEN + """<Directory $ROOT/htdocs/sub>
ForceType text/deeper
</Directory>
<Directory $ROOT/htdocs>
ForceType text/shallower
</Directory>
<Directory ~ "/sub/">
ForceType text/regex
</Directory>
""", FILES)
        assert s.get("/a.txt").content_type == "text/shallower"
        assert s.get("/sub/b.txt").content_type == "text/regex"

    def test_wildcard_directory(self, server):
        s = server(OPEN + "<Directory $ROOT/*/sub>\nForceType text/wild\n</Directory>\n", FILES)
        assert s.get("/sub/b.txt").content_type == "text/wild"
        assert s.get("/a.txt").content_type == "text/plain"

    def test_named_groups_become_match_variables(self, server):
        s = server(OPEN + '<DirectoryMatch "/(?<dirname>[^/]+)/b\\.txt">\n'
                   "ForceType text/x\n</DirectoryMatch>\n", FILES)
        r = s.get("/sub/b.txt")
        # a file is matched by <DirectoryMatch> too, as in Apache
        assert r.content_type == "text/x" and r.subprocess_env["MATCH_DIRNAME"] == "sub"

    def test_name_too_long_is_404_not_403(self, server):
        s = server(OPEN, FILES)
        r = s.get("/" + "x" * 300 + "/y")
        assert r.status == 404

    def test_fifo_is_forbidden(self, server):
        s = server(OPEN + "<Directory $ROOT/htdocs>\nOptions None\n</Directory>\n", FILES)
        os.mkfifo(s.root / "htdocs" / "fifo")
        with structlog.testing.capture_logs() as logs:
            r = s.get("/fifo/x")
        assert r.status == 403
        assert logs[-1]["event"].startswith("AH00038: Forbidden: ")


class TestSymlinks:
    """A link below the DocumentRoot leaving it needs an explicit Options FollowSymLinks."""

    LINKS = {**FILES, "htdocs/in.txt": ("->", "a.txt"), "htdocs/inner/up.txt": ("->", "../a.txt")}

    def _links(self, s):
        os.symlink(s.root / "outside" / "secret.txt", s.root / "htdocs" / "out.txt")
        os.symlink(s.root / "outside", s.root / "htdocs" / "outdir")

    def test_default_follows_links_inside_the_root(self, server):
        s = server(OPEN, self.LINKS)
        assert s.get("/in.txt").status == 200
        assert s.get("/inner/up.txt").status == 200

    def test_default_refuses_links_leaving_the_root(self, server):
        s = server(OPEN, self.LINKS)
        self._links(s)
        with structlog.testing.capture_logs() as logs:
            r = s.get("/out.txt")
        assert r.status == 403 and r.body and b"secret" not in r.body
        assert logs[-1]["event"].startswith("AH00037: Symbolic link not allowed or link "
                                            "target not accessible: ")
        assert s.get("/outdir/secret.txt").status == 403

    def test_explicit_followsymlinks_follows_them(self, server):
        s = server(OPEN + "<Directory $ROOT/htdocs>\nOptions FollowSymLinks\n</Directory>\n",
                   self.LINKS)
        self._links(s)
        r = s.get("/out.txt")
        assert r.status == 200 and r.finfo.st_size == len("secret")
        assert s.get("/outdir/secret.txt").status == 200

    def test_plus_followsymlinks_is_explicit_too(self, server):
        s = server(OPEN + "<Directory $ROOT/htdocs>\nOptions +FollowSymLinks\n</Directory>\n",
                   self.LINKS)
        self._links(s)
        assert s.get("/out.txt").status == 200

    def test_options_none_refuses_every_link(self, server):
        s = server(OPEN + "<Directory $ROOT/htdocs>\nOptions None\n</Directory>\n", self.LINKS)
        assert s.get("/in.txt").status == 403
        assert s.get("/a.txt").status == 200

    def test_root_reached_through_a_link_is_fine(self, server, tmp_path):
        real = tmp_path / "real-root"
        real.mkdir()
        (real / "f.txt").write_text("f")
        os.symlink(real, tmp_path / "linked-root")
        s = server("DocumentRoot $ROOT/linked-root\n<Directory />\nRequire all granted\n"
                   "</Directory>\n")
        assert s.get("/f.txt").status == 200

    def test_alias_target_is_the_root_of_its_requests(self, server):
        s = server(OPEN + "Alias /o/ $ROOT/outside/\n", self.LINKS)
        os.symlink(s.root / "htdocs" / "a.txt", s.root / "outside" / "back.txt")
        assert s.get("/o/secret.txt").status == 200
        assert s.get("/o/back.txt").status == 403      # leaves the alias's directory


class TestCaches:
    def test_repeated_requests_share_the_merged_config(self, server):
        s = server(OPEN + "<Files b.txt>\nForceType text/b\n</Files>\n"
                   "<Location /sub>\nForceType text/loc\n</Location>\n", FILES)
        one, two = s.get("/sub/b.txt"), s.get("/sub/b.txt")
        assert one.per_dir_config is two.per_dir_config
        merger = generation(s.process).walker.merger
        entries = len(merger.cache)
        s.get("/sub/b.txt")
        assert len(merger.cache) == entries        # nothing merged the third time

    def test_made_up_names_do_not_grow_the_level_cache(self, server):
        s = server(OPEN, FILES)
        walker = generation(s.process).walker
        s.get("/a.txt")
        levels = len(walker.sections_of(s.process.main_server).levels)
        for i in range(50):
            s.get(f"/nothere{i}/deeper")
        assert len(walker.sections_of(s.process.main_server).levels) == levels

    def test_a_remembered_file_is_stat_validated(self, server):
        # the per-file fast path (ServerSections.files) holds only while the name is
        # still a regular file: gone, it is a 404 again; a directory now, mod_dir's
        s = server("DocumentRoot $ROOT/htdocs\n<Directory />\nAllowOverride None\n"
                   "Require all denied\n</Directory>\n<Directory $ROOT/htdocs>\n"
                   "Options FollowSymLinks\nRequire all granted\n</Directory>\n", FILES)
        ss = generation(s.process).walker.sections_of(s.process.main_server)
        first = s.get("/sub/b.txt")
        assert first.status == 200 and len(ss.files) == 1
        again = s.get("/sub/b.txt")
        assert again.status == 200 and again.per_dir_config is first.per_dir_config
        assert again.filename == first.filename and again.finfo.st_size == 1
        target = s.root / "htdocs/sub/b.txt"
        target.unlink()
        assert s.get("/sub/b.txt").status == 404
        target.mkdir()
        r = s.get("/sub/b.txt")
        assert r.status == 301 and r.headers_out.get("Location", "").endswith("/sub/b.txt/")
        # made-up names and path_info never enter it
        for i in range(20):
            s.get(f"/nothere{i}.txt")
        s.get("/a.txt/extra")
        assert len(ss.files) <= 2
