"""mod_mime: extension maps, removals at merge time, TypesConfig in post_config."""
from __future__ import annotations

from pathlib import Path

import pytest

from directives import mod_mime
from directives.mod_mime import ExtensionInfo, MimeDirConfig, merge_dir_config

MODS = [mod_mime.MODULE]


def mime_conf(conf, text) -> MimeDirConfig:
    r = conf(MODS, text)
    assert r.error is None, r.error
    return r.dir_config("mime_module")


def message(conf, text):
    r = conf(MODS, text)
    assert r.error is not None
    return r.error.split("\n", 1)[1]


class TestAddDirectives:
    def test_extensions_normalised(self, conf):
        m = mime_conf(conf, "AddType Text/HTML .HTM html\nAddHandler CGI-Script .cgi\n"
                            "AddCharset UTF-8 .htm\n")
        assert m.extension_mappings == {
            "htm": ExtensionInfo(forced_type="text/html", charset_type="utf-8"),
            "html": ExtensionInfo(forced_type="text/html"),
            "cgi": ExtensionInfo(handler="cgi-script"),
        }

    def test_remove_lines_wait_for_the_merge(self, conf):
        m = mime_conf(conf, "RemoveHandler .CGI cgi\nRemoveType .x\n")
        assert m.remove_mappings == [("cgi", "handler"), ("cgi", "handler")]
        assert m.extension_mappings == {"x": ExtensionInfo(forced_type="")}

    @pytest.mark.parametrize("line,msg", [
        ("AddType text/html", "AddType requires at least two arguments, a mime type followed "
                              "by one or more file extensions"),
        ("RemoveType", "RemoveType requires at least one argument, one or more file extensions"),
        ("TypesConfig a b", "TypesConfig takes one argument, the MIME types config file"),
        ("DefaultLanguage", "DefaultLanguage takes one argument, language to use for documents "
                            "with no other language file extension"),
        ("ModMimeUsePathInfo on", "ModMimeUsePathInfo not allowed here"),
        ("MultiviewsMatch foo", "Unrecognized option 'foo'"),
        ("MultiviewsMatch Any Handlers", "Handlers is incompatible with Any and NegotiatedOnly"),
        ("MultiviewsMatch Handlers Any",
         "Any is incompatible with NegotiatedOnly, Filters and Handlers"),
        ("MultiviewsMatch NegotiatedOnly Filters",
         "Filters is incompatible with Any and NegotiatedOnly"),
        ("MultiviewsMatch any negotiatedonly",
         "NegotiatedOnly is incompatible with Any, Filters and Handlers"),
    ])
    def test_errors(self, conf, line, msg):
        assert message(conf, line + "\n") == msg

    def test_multiviews_match_bits(self, conf):
        m = mime_conf(conf, "MultiviewsMatch Handlers Filters\n")
        assert m.multimatch == mod_mime.MULTIMATCH_HANDLERS | mod_mime.MULTIMATCH_FILTERS

    def test_contexts(self, conf):
        r = conf(MODS, "<Location /x>\nMultiviewsMatch Any\n</Location>\n")
        assert r.error.endswith("\nMultiviewsMatch cannot occur within <Location> section")
        r = conf(MODS, "<Directory /x>\nTypesConfig x\n</Directory>\n")
        assert r.error.endswith("\nTypesConfig not allowed in <Directory> context")
        r = conf(MODS, "<Directory /x>\nModMimeUsePathInfo on\n</Directory>\n")
        assert r.error is None
        r = conf(MODS, "<Location /x>\nModMimeUsePathInfo x\n</Location>\n")
        assert r.error.endswith("\nModMimeUsePathInfo must be On or Off")


class TestMerge:
    def test_overlay_and_remove(self):
        base = MimeDirConfig({"php": ExtensionInfo(handler="php", forced_type="text/x-php"),
                              "gz": ExtensionInfo(encoding_type="gzip")},
                             default_language="en", use_path_info=True)
        add = MimeDirConfig({"php": ExtensionInfo(charset_type="utf-8")},
                            remove_mappings=[("php", "handler"), ("none", "handler")],
                            multimatch=mod_mime.MULTIMATCH_ANY)
        m = merge_dir_config(base, add)
        assert m.extension_mappings["php"] == ExtensionInfo(
            forced_type="text/x-php", charset_type="utf-8")
        assert m.extension_mappings["gz"] == ExtensionInfo(encoding_type="gzip")
        assert (m.default_language, m.multimatch, m.use_path_info, m.remove_mappings) == \
            ("en", mod_mime.MULTIMATCH_ANY, True, [])
        assert base.extension_mappings["php"].handler == "php"   # inputs untouched

    def test_remove_type_overrides(self):
        base = MimeDirConfig({"x": ExtensionInfo(forced_type="a/b")})
        add = MimeDirConfig({"x": ExtensionInfo(forced_type="")})
        assert merge_dir_config(base, add).extension_mappings["x"].forced_type == ""

    def test_remove_only_section(self):
        base = MimeDirConfig({"cgi": ExtensionInfo(handler="cgi-script")})
        m = merge_dir_config(base, MimeDirConfig(remove_mappings=[("cgi", "handler")]))
        assert m.extension_mappings == {"cgi": ExtensionInfo()}
        assert base.extension_mappings["cgi"].handler == "cgi-script"


class TestTypesConfig:
    def test_read_types(self, tmp_path):
        f = tmp_path / "mime.types"
        f.write_text("# comment\ntext/html html HTM\n\n  # indented comment\n"
                     "application/x-thing a \\\n b\ntext/plain html\n")
        assert mod_mime.read_types(str(f)) == {
            "html": "text/plain", "htm": "text/html",
            "a": "application/x-thing", "b": "application/x-thing"}

    def test_post_config_loads_server_root_relative(self, conf):
        (conf.dir / "t.types").write_text("text/x-a a\n")
        r = conf(MODS, "TypesConfig t.types\n<VirtualHost *:80>\n</VirtualHost>\n")
        assert mod_mime.post_config(r.process, r.server) is True
        assert r.config("mime_module").types == {"a": "text/x-a"}
        assert r.process.vhosts[0].module_config["mime_module"].types == {"a": "text/x-a"}

    def test_unreadable_file(self, conf):
        r = conf(MODS, "TypesConfig /nonexistent/mime.types\n")
        assert r.error is None            # -t does not read it, as in Apache
        assert mod_mime.post_config(r.process, r.server) is False
        assert r.process.warnings == [
            "[mime:error] (2)No such file or directory: AH01597: could not open mime types "
            "config file /nonexistent/mime.types."]

    def test_project_mime_types_parses(self):
        types = mod_mime.read_types(str(Path(__file__).parents[3] / "conf" / "mime.types"))
        assert types.get("html") == "text/html"


@pytest.mark.parametrize("body", [
    "AddType text/html\n", "AddType Text/HTML .HTM\nRemoveType .x\n",
    "MultiviewsMatch Handlers Any\n", "MultiviewsMatch foo\n", "ModMimeUsePathInfo on\n",
    "<Location /x>\nMultiviewsMatch Any\n</Location>\n", "TypesConfig /nonexistent/mime.types\n",
])
def test_against_apache(differential, body):
    differential(body)
