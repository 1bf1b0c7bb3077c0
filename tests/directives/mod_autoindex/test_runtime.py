"""mod_autoindex at request time, what the goldens (tests/conformance/autoindex/) do not
show: the handler's declines and errors, the content type and charset, the text
routines and the sorting of the listing."""
from __future__ import annotations

import os

import pytest

from directives.mod_autoindex import listing
from directives.mod_autoindex.text import natkey, strfsize, terminate_description
from httpd.module.hooks import DECLINED, OK
from tests.directives import harness


def listing_request(p, tmp_path, uri="/", **kw):
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "f.txt").write_text("x")
    r = harness.request(p, uri, picked=[], filename=str(docs) + "/", **kw)
    r.handler = listing.DIR_MAGIC_TYPE
    r.finfo = os.stat(docs)
    return r


class TestAutoindexHandler:
    def test_declines_other_handlers_and_methods(self, tmp_path):
        p = harness.load(tmp_path, "<Directory />\nOptions Indexes\n</Directory>\n")
        r = listing_request(p, tmp_path)
        r.handler = "text/plain"
        assert listing.handle_autoindex(r) == DECLINED
        r = listing_request(p, tmp_path, method="POST")
        r.method_number = 2
        assert listing.handle_autoindex(r) == DECLINED
        assert r.allowed & 1                       # GET is allowed here

    def test_forbidden_without_options_indexes(self, tmp_path, logged):
        p = harness.load(tmp_path, "")
        r = listing_request(p, tmp_path)
        r.per_dir_config["core_module"] = p.main_server.lookup_defaults["core_module"]
        r.per_dir_config["core_module"].opts = 0
        r.notes["dir-index-names"] = "index.html"
        assert listing.handle_autoindex(r) == 403
        assert logged[-1].endswith(
            f"AH01276: Cannot serve directory {tmp_path}/docs/: No matching DirectoryIndex "
            "(index.html) found, and server-generated directory index forbidden by Options "
            "directive")

    def test_head_has_no_body(self, tmp_path):
        p = harness.load(tmp_path, "<Directory />\nOptions Indexes\n</Directory>\n")
        r = listing_request(p, tmp_path)
        r.per_dir_config["core_module"] = p.main_server.lookup_defaults["core_module"]
        r.per_dir_config["core_module"].opts = 1
        r.header_only = True
        assert listing.handle_autoindex(r) == OK
        assert r.body is None and r.content_type == "text/html;charset=ISO-8859-1"


class TestContentType:
    @pytest.mark.parametrize("lines,ctype", [
        ("", "text/html;charset=ISO-8859-1"),
        ("IndexOptions Type=", ";charset=ISO-8859-1"),        # as Apache 2.4.71 sends it
        ("IndexOptions Type=text/x-a Charset=", "text/x-a"),
        ("IndexOptions Type=\n<Location />\nIndexOptions Charset=x\n</Location>",
         ";charset=x")])
    def test_type_and_charset(self, tmp_path, lines, ctype):
        p = harness.load(tmp_path, "<Directory />\nOptions Indexes\n</Directory>\n" + lines)
        r = listing_request(p, tmp_path)
        r.per_dir_config = harness.merged(p, p.main_server, [
            s for s in harness.sections(p) if s.path == "/"])
        assert listing.handle_autoindex(r) == OK
        assert r.content_type == ctype


class TestText:
    @pytest.mark.parametrize("size,text", [
        (-1, "  - "), (0, "  0 "), (972, "972 "), (973, "1.0K"), (1451, "1.4K"),
        (10240, " 10K"), (9 * 1024 + 972, "9.9K"), (9 * 1024 + 973, " 10K"),
        (2_500_000, "2.4M"), (9 * 1024 ** 2, "9.0M"), (1023 * 1024, "1.0M"),
        (5 * 1024 ** 4, "5.0T"), (1 << 62, "4.0E")])
    def test_strfsize(self, size, text):
        assert strfsize(size) == text

    def test_version_sort_examples_from_the_manual(self):
        """apr_strnatcmp's order, as the listing sorts with it (natkey)."""
        names = ["foo-1.12", "foo-1.8.2a", "foo-1.7.12", "foo-1.7", "foo-1.8.2", "foo-1.7.2"]
        assert sorted(names, key=natkey) == [
            "foo-1.7", "foo-1.7.2", "foo-1.7.12", "foo-1.8.2", "foo-1.8.2a", "foo-1.12"]
        fractions = ["foo-1.04", "foo-1.030", "foo-1.002", "foo-1.001"]
        assert sorted(fractions, key=natkey) == [
            "foo-1.001", "foo-1.002", "foo-1.030", "foo-1.04"]

    @pytest.mark.parametrize("desc,width,cut", [
        # what Apache's loop leaves, oddities included: the ';' of a cut entity and the
        # '>' of a closing tag are what becomes the final '>'
        ("short", 23, "short"), ("abcdef", 3, "ab>"), ("a &amp; b", 3, "a &amp>"),
        ("<b>bold</b> text", 4, "<b>bold</b>"), ("x", 0, ""), ("a <b", 1, ">")])
    def test_terminate_description(self, desc, width, cut):
        assert terminate_description(desc, width) == cut

