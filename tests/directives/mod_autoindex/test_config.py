"""mod_autoindex: its config-time messages, as Apache 2.4.71 prints them (`apache2 -t`)."""
from __future__ import annotations

import pytest

from directives import mod_autoindex
from tests.directives import harness
from tests.directives.harness import error_of


class TestAutoindexMessages:
    @pytest.mark.parametrize("line,message", [
        ("IndexOptions Bogus", "Invalid directory indexing option"),
        ("IndexOptions +None", "Cannot combine '+' or '-' with 'None' keyword"),
        ("IndexOptions None FancyIndexing",
         "Cannot combine other IndexOptions keywords with 'None'"),
        ("IndexOptions NameWidth", "NameWidth with no value may only appear as '-NameWidth'"),
        ("IndexOptions -NameWidth=3", "Cannot combine '-' with NameWidth=n"),
        ("IndexOptions NameWidth=3", "NameWidth value must be greater than 5"),
        ("IndexOptions DescriptionWidth",
         "DescriptionWidth with no value may only appear as '-DescriptionWidth'"),
        ("IndexOptions DescriptionWidth=5", "DescriptionWidth value must be greater than 12"),
        ("IndexOptions -IconWidth=5", "Cannot combine '-' with IconWidth=n"),
        ("IndexOptions -IconHeight=5", "Cannot combine '-' with IconHeight=n"),
        ("IndexOptions Charset", "Invalid directory indexing option"),
        ("IndexOrderDefault Foo Name", "First keyword must be 'Ascending' or 'Descending'"),
        ("IndexOrderDefault Ascending Foo",
         "Second keyword must be 'Name', 'Date', 'Size', or 'Description'"),
        ("AddIcon (a /x", "missing closing paren"),
        ("FancyIndexing on",
         "The FancyIndexing directive is no longer supported. Use IndexOptions "
         "FancyIndexing."),
        ("IndexIgnoreReset x", "IndexIgnoreReset must be On or Off"),
        ("HeaderName a b", "HeaderName takes one argument, a filename"),
    ])
    def test_messages(self, tmp_path, line, message):
        assert error_of(tmp_path, line + "\n") == message

    @pytest.mark.parametrize("line", [
        "IndexOptions", "IndexOptions NameWidth=0", "IndexOptions Charset=",
        "IndexOptions Type=", "IndexOptions -Charset=x", "IndexOptions +Type=x",
        "IndexOptions ShowForbidden AddAltClass UseOldDateFormat IgnoreCase XHTML",
        "IndexOptions IconWidth=abc", "IndexOptions None None", "IndexIgnoreReset on",
        'IndexHeadInsert "<x>"'])
    def test_accepted(self, tmp_path, line):
        harness.load(tmp_path, line + "\n")

    def test_icon_with_alt(self, tmp_path):
        p = harness.load(tmp_path, "AddIcon (TXT,/i/t.gif) .txt\nAddIconByEncoding "
                                   "(CMP,/i/c.gif) X-GZIP\nAddIcon /i/d.gif **DIRECTORY**\n"
                                   "AddIcon (A,,/x) .a\nAddIcon (NOCOMMA) .b\n")
        d = p.main_server.lookup_defaults["autoindex_module"]
        assert [(i.type, i.apply_to, i.data) for i in d.icon_list] == [
            ("path", "*.txt", "/i/t.gif"), ("encoding", "x-gzip", "/i/c.gif"),
            ("path", "*^^DIRECTORY^^", "/i/d.gif"), ("path", "*.a", "/x"),
            ("path", "*.b", "")]
        assert [(i.apply_to, i.data) for i in d.alt_list] == [
            ("*.txt", "TXT"), ("x-gzip", "CMP"), ("*.a", "A"), ("*.b", "NOCOMMA)")]

    def test_options_merge(self, tmp_path):
        p = harness.load(tmp_path, "IndexOptions FancyIndexing HTMLTable\n"
                                   "<Location /inc>\nIndexOptions -HTMLTable +FoldersFirst\n"
                                   "</Location>\n<Location /abs>\nIndexOptions FancyIndexing\n"
                                   "IndexOptions +HTMLTable\n</Location>\n"
                                   "<Location /none>\nIndexOptions None\n</Location>\n")
        A = mod_autoindex

        def opts(path):
            return harness.merged(p, p.main_server, [harness.section(p, "Location", path)])[
                "autoindex_module"].opts & ~A.OPTION_UNSET
        assert opts("/inc") == A.FANCY_INDEXING | A.FOLDERS_FIRST
        assert opts("/abs") == A.FANCY_INDEXING     # Apache drops the section's own +/-
        assert opts("/none") == A.NO_OPTIONS


@pytest.mark.parametrize("to,wildcards", [("a[\\]", False), ("a[b]", True), ("x.txt", False),
                                          ("*.txt", True), ("d/x", True)])
def test_add_description_wildcards_by_apr_fnmatch_test(tmp_path, to, wildcards):
    """add_desc: a pattern only when it names a path or apr_fnmatch_test finds a
    wildcard; in ``a[\\]`` the backslash takes the ``]`` away, so it is a plain name
    (mod_autoindex's own test took it for a pattern)."""
    p = harness.load(tmp_path, f'AddDescription "d" {to}\n')
    d = p.main_server.lookup_defaults[mod_autoindex.MODULE_NAME]
    assert [e.wildcards for e in d.desc_list] == [wildcards]
