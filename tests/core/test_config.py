"""core's merges (merge_core_dir_configs, merge_core_server_configs and the server_rec
part of ap_fixup_virtual_hosts): pure, and with Apache's +/- rules."""
from __future__ import annotations

import attrs

from httpd.core import config as C
from httpd.http.conditional import etag_components
from tests.core.run import core, load


def dir_conf(tmp_path, body):
    """The core config of the one <Directory /d> section in ``body``."""
    p = load(tmp_path, f"<Directory /d>\n{body}\n</Directory>\n")
    return core(p.main_server).sec_dir[0].core


def merged(*confs):
    out = C.create_dir_config(None)
    for c in confs:
        out = C.merge_dir_config(out, c)
    return out


class TestOptions:
    def test_server_default_is_follow_symlinks(self):
        d = C.create_dir_config(None)
        assert d.opts == C.OPT_UNSET | C.OPT_SYM_LINKS
        assert C.create_dir_config("/x").opts == C.OPT_UNSET

    def test_plus_minus_accumulate(self, tmp_path):
        a = dir_conf(tmp_path, "Options +Indexes")
        b = dir_conf(tmp_path, "Options -FollowSymLinks +ExecCGI")
        m = merged(a, b)
        assert m.opts & C.OPT_INDEXES and m.opts & C.OPT_EXECCGI
        assert not m.opts & C.OPT_SYM_LINKS

    def test_absolute_setting_replaces(self, tmp_path):
        a = dir_conf(tmp_path, "Options +Indexes")
        b = dir_conf(tmp_path, "Options ExecCGI")
        c = dir_conf(tmp_path, "Options +MultiViews")
        m = merged(a, b, c)
        assert m.opts == C.OPT_EXECCGI | C.OPT_MULTI

    def test_includes_noexec_drops_exec(self, tmp_path):
        m = merged(dir_conf(tmp_path, "Options Includes"), dir_conf(tmp_path, "Options "
                                                                           "+IncludesNOEXEC"))
        assert m.opts & C.OPT_INCLUDES and not m.opts & C.OPT_INC_WITH_EXEC

    def test_merge_is_pure(self, tmp_path):
        a = dir_conf(tmp_path, "Options +Indexes\nErrorDocument 404 /a")
        b = dir_conf(tmp_path, "Options -Indexes\nErrorDocument 500 /b")
        before = (attrs.asdict(a, recurse=False), attrs.asdict(b, recurse=False))
        C.merge_dir_config(a, b)
        assert (attrs.asdict(a, recurse=False), attrs.asdict(b, recurse=False)) == before


class TestDirFields:
    def test_error_documents_overlay(self, tmp_path):
        a = dir_conf(tmp_path, "ErrorDocument 404 /a\nErrorDocument 500 /b")
        b = dir_conf(tmp_path, "ErrorDocument 404 default")
        m = merged(a, b)
        assert m.response_code_exprs[404] == C.ERRORDOCUMENT_DEFAULT
        assert m.response_code_exprs[500].source == "/b"

    def test_file_etag_relative_and_absolute(self, tmp_path):
        # as ap_make_etag: removing from nothing leaves nothing, hence the default
        rel = merged(dir_conf(tmp_path, "FileETag -Size"))
        assert etag_components(rel) == C.ETAG_BACKWARD
        rel = merged(dir_conf(tmp_path, "FileETag All"), dir_conf(tmp_path, "FileETag -Size"))
        assert etag_components(rel) == C.ETAG_MTIME | C.ETAG_INODE
        m = merged(dir_conf(tmp_path, "FileETag All"), dir_conf(tmp_path, "FileETag -INode"))
        assert m.etag_bits == C.ETAG_MTIME | C.ETAG_SIZE
        assert merged(dir_conf(tmp_path, "FileETag None")).etag_bits == C.ETAG_NONE
        assert etag_components(C.create_dir_config(None)) == C.ETAG_BACKWARD

    def test_unset_values_inherit(self, tmp_path):
        a = dir_conf(tmp_path, "LimitRequestBody 5\nHostnameLookups double\nForceType a/b")
        b = dir_conf(tmp_path, "EnableSendfile on")
        m = merged(a, b)
        assert (m.limit_req_body, m.hostname_lookups, m.mime_type, m.enable_sendfile) == (
            5, "double", "a/b", True)
        assert C.effective_limit_req_body(C.create_dir_config(None)) == 1 << 30

    def test_add_default_charset_name_travels_with_the_switch(self, tmp_path):
        m = merged(dir_conf(tmp_path, "AddDefaultCharset utf-8"),
                   dir_conf(tmp_path, "AddDefaultCharset off"))
        assert m.add_default_charset is False

    def test_loglevel_per_directory(self, tmp_path):
        a = dir_conf(tmp_path, "LogLevel info core:debug")
        b = dir_conf(tmp_path, "LogLevel so:trace1")
        m = merged(a, b)
        assert m.log.level == 6 and m.log.module_levels == {"core_module": 7, "so_module": 8}
        reset = merged(a, dir_conf(tmp_path, "LogLevel error"))
        assert reset.log.level == 3 and reset.log.module_levels is None

    def test_section_identity_comes_from_the_new_config(self, tmp_path):
        a = dir_conf(tmp_path, "Options None")
        assert merged(a).d == "/d/"

    def test_files_and_if_sections_append(self, tmp_path):
        a = dir_conf(tmp_path, "<Files a>\n</Files>\n<If true>\n</If>")
        b = dir_conf(tmp_path, "<Files b>\n</Files>")
        m = merged(a, b)
        assert [s.path for s in m.sec_file] == ["a", "b"] and len(m.sec_if) == 1


class TestServerMerge:
    def test_vhost_inherits_and_keeps_its_own(self, tmp_path):
        (tmp_path / "v").mkdir()
        p = load(tmp_path, "ServerAdmin main@x\nTimeout 30\nLogLevel info\n"
                           "<Directory /a>\n</Directory>\n"
                           "<VirtualHost *:80>\nServerName v\nDocumentRoot v\n"
                           "<Directory /b>\n</Directory>\nTraceEnable off\n</VirtualHost>\n")
        main, m = core(p.main_server), core(p.vhosts[0])   # merged by the vhost fixup
        assert (m.server_admin, m.timeout, m.server_hostname) == ("main@x", 30, "v")
        assert m.ap_document_root == str(tmp_path / "v") and m.trace_enable == "off"
        assert [s.path for s in m.sec_dir] == ["/a/", "/b/"]
        assert m.log.level == 6 and m.access_name == [".htaccess"] and m.is_virtual
        assert main.trace_enable is None   # the main server's own record is untouched

    def test_vhost_defaults(self):
        class S:
            is_virtual = True
        v = C.create_server_config(S())
        assert v.names == [] and v.log.level is None and v.ap_document_root is None
