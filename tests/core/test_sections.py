"""core's containers: Apache 2.4.71's messages, in its order, and the Section records
left for per-directory merging (sec_dir, sec_url, sec_file, sec_if) and virtual hosts."""
from __future__ import annotations

import socket

import pytest

from httpd.core import config as C
from httpd.core.sections import ServerAddr
from tests.core.run import core, load, syntax_ok, walk_error

ELSE_ALONE = "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope"

ERRORS = [
    ("<Directory /\n</Directory>", "<Directory> directive missing closing '>'"),
    ("<Directory a b>\n</Directory>", "Multiple <Directory> arguments not (yet) supported."),
    ("<Directory a b>\nBogus\n</Directory>", "Invalid command 'Bogus', perhaps misspelled or "
     "defined by a module not included in the server configuration"),
    ('<Directory ~ "(">\n</Directory>', "Regex could not be compiled"),
    ('<DirectoryMatch "(">\n</DirectoryMatch>', "Regex could not be compiled"),
    ("<Location a b>\n</Location>", "Multiple <Location> arguments not (yet) supported."),
    ("<Files ~ (>\n</Files>", "Regex could not be compiled"),
    ("<Location />\n<Files x>\n</Files>\n</Location>", "<Files> cannot occur within <Location> "
                                                      "section"),
    ("<Directory />\n<Limit GET>\n<Files x>\n</Files>\n</Limit>\n</Directory>",
     "<Files> cannot occur within <Limit> or <LimitExcept> section"),
    ("<Directory />\n<Limit>\n</Limit>\n</Directory>",
     "<Limit> directive requires additional arguments"),
    ("<Directory />\n<Limit TRACE>\n</Limit>\n</Directory>",
     "TRACE cannot be controlled by <Limit>, see TraceEnable"),
    ("<Directory />\n<Limit GET>\n<Limit GET>\n</Limit>\n</Limit>\n</Directory>",
     "<Limit> directive specifies methods already excluded"),
    ("<Directory />\n<Limit GET>\n<Limit POST>\n</Limit>\n</Limit>\n</Directory>",
     "<Limit> directive excludes all methods"),
    ("<Directory />\n<LimitExcept GET>\n<LimitExcept GET>\n</LimitExcept>\n</LimitExcept>\n"
     "</Directory>", "<LimitExcept> directive specifies methods already excluded"),
    ("<Limit GET>\n</Limit>", "<Limit not allowed here"),
    ("<Directory />\n<Limit GET>\n<If \"true\">\n</If>\n</Limit>\n</Directory>",
     "<If> cannot occur within <Limit> or <LimitExcept> section"),
    ("<If \"true\">\n<Directory />\n</Directory>\n</If>", "<Directory not allowed in <If> context"),
    ("<If \"true\">\nServerAdmin x\n</If>", "ServerAdmin not allowed in <If> context"),
    ("<Else>\n</Else>", ELSE_ALONE),
    ("<If \"true\">\n</If>\n<Else foo>\n</Else>", "<Else> does not take an argument"),
    ("<If \"true\">\n</If>\n<Else>\n</Else>\n<Else>\n</Else>", ELSE_ALONE),
    ("<Directory />\n<If \"false\">\n</If>\n</Directory>\n<Else>\n</Else>", ELSE_ALONE),
    ("<If \"true\" \"x\">\n</If>", "Multiple <If> arguments not supported."),
    ("<If>\n</If>", "<If> directive requires additional arguments"),
    ("<If \"%{HTTP_HOST} == == 1\">\n</If>",
     "Cannot parse condition clause: syntax error, unexpected T_OP_STR_EQ"),
    ("<If %{HTTP_HOST} == \"x\">\n</If>",
     "Cannot parse condition clause: syntax error, unexpected $end"),
    ("<VirtualHost>\n</VirtualHost>", "<VirtualHost> directive requires additional arguments"),
    ("<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>",
     "<VirtualHost> cannot occur within <VirtualHost> section"),
    ("<VirtualHost 80>\n</VirtualHost>", "Missing address for VirtualHost"),
    ("<VirtualHost *:99999>\n</VirtualHost>", "The address or port is invalid"),
    ("<VirtualHost :80>\n</VirtualHost>", "The address or port is invalid"),
    ("<VirtualHost *:0>\n</VirtualHost>", "The address or port is invalid"),
]


@pytest.mark.parametrize("body,message", ERRORS)
def test_error_messages(capsys, tmp_path, body, message):
    assert walk_error(capsys, tmp_path, body + "\n") == message


@pytest.mark.parametrize("body", [
    "<Directory ~>\n</Directory>", "<Location ~>\n</Location>",
    "<Files x>\n<Files y>\n</Files>\n</Files>", "<If \"true\">\n<Files x>\n</Files>\n</If>",
    "<Files x>\n<If \"true\">\n</If>\n</Files>",
    "<Directory />\n<LimitExcept TRACE>\n</LimitExcept>\n</Directory>",
    "<Directory />\n<Limit GET POST>\n<Limit GET>\n</Limit>\n</Limit>\n</Directory>",
    "<If true>\n</If> \n<ElseIf false>\n</ElseIf>\n<Else>\n</Else>",
    "<If \"true\">\n</If>\nOptions None\n<Else>\n</Else>",     # same scope, not adjacent
])
def test_accepted(capsys, tmp_path, body):
    assert syntax_ok(capsys, tmp_path, body + "\n") == ""


def test_unresolvable_vhost_address_is_only_logged(capsys, tmp_path):
    out = syntax_ok(capsys, tmp_path, "<VirtualHost nonexistent.invalid:80>\n</VirtualHost>\n")
    assert "AH00547: Could not resolve host name nonexistent.invalid -- ignoring!" in out
    assert out.startswith("[core:error] (EAI ")


class TestRecords:
    def test_directory_sections(self, tmp_path):
        p = load(tmp_path, "<Directory />\nOptions None\n</Directory>\n"
                           "<Directory /var/www/./a/../b>\n</Directory>\n"
                           "<Directory ~ \"^/srv/(?<site>[^/]+)\">\n</Directory>\n"
                           "<DirectoryMatch \"^/x\">\n</DirectoryMatch>\n"
                           "<Directory /srv/*/htdocs>\n</Directory>\n")
        reordered = core(p.main_server).sec_dir          # the vhost fixup reorders them
        secs = sorted(reordered, key=lambda s: s.line)   # file order
        assert [(s.kind, s.path) for s in secs] == [
            ("Directory", "/"), ("Directory", "/var/www/b/"),
            ("Directory", "^/srv/(?<site>[^/]+)"), ("DirectoryMatch", "^/x"),
            ("Directory", "/srv/*/htdocs/")]
        assert secs[0].core.d_components == 0 and secs[1].core.d_components == 4
        assert secs[0].core.opts == C.OPT_NONE and secs[0].line == 4
        assert secs[2].regex.match("/srv/alpha/x") and secs[2].core.refs == ["site"]
        assert secs[4].core.d_is_fnmatch and not secs[1].core.d_is_fnmatch
        assert [s.path for s in C.reorder_directories(secs)] == [
            "/", "/var/www/b/", "/srv/*/htdocs/", "^/x", "^/srv/(?<site>[^/]+)"]
        assert reordered == C.reorder_directories(secs)

    def test_location_files_and_if(self, tmp_path):
        p = load(tmp_path, "<Location /a/./b>\n<If \"-z %{QUERY_STRING}\">\n</If>\n"
                           "<Else>\n</Else>\n</Location>\n<LocationMatch ^/x>\n</LocationMatch>\n"
                           "<Directory /d>\n<Files *.txt>\n</Files>\n"
                           "<FilesMatch \\.php$>\n</FilesMatch>\n</Directory>\n"
                           "<Files top>\n</Files>\n")
        c = core(p.main_server)
        loc, match = c.sec_url
        assert (loc.kind, loc.path, match.kind, match.path) == (
            "Location", "/a/./b", "LocationMatch", "^/x")
        ifs = loc.core.sec_if
        assert [(s.kind, s.core.condition_ifelse) for s in ifs] == [
            ("If", C.CONDITION_IF), ("Else", C.CONDITION_ELSE)]
        assert ifs[0].core.condition.source == "-z %{QUERY_STRING}"
        files = c.sec_dir[0].core.sec_file
        assert [(s.kind, s.path) for s in files] == [("Files", "*.txt"),
                                                    ("FilesMatch", "\\.php$")]
        assert files[1].regex.search("x.php")
        top = p.main_server.lookup_defaults["core_module"].sec_file
        assert [s.path for s in top] == ["top"]

    def test_limit_registers_unknown_methods(self, tmp_path):
        p = load(tmp_path, "<Directory />\n<Limit GET purge>\n</Limit>\n</Directory>\n")
        assert core(p.main_server).methods == {"purge": 27}

    def test_virtual_hosts(self, tmp_path):
        p = load(tmp_path, "ServerName main:8080\nLimitRequestLine 100\n"
                           "<VirtualHost 127.0.0.1 [::1]:81 *:*>\nServerName v\n"
                           "ServerAlias a *.b\n</VirtualHost>\nLimitRequestLine 200\n"
                           "<VirtualHost _default_:443>\n</VirtualHost>\n")
        v1, v2 = p.vhosts
        assert v1.is_virtual and (v1.defn_name, v1.defn_line) == (str(tmp_path / "httpd.conf"), 6)
        assert v1.addrs == [ServerAddr("127.0.0.1", 8080, "127.0.0.1"),
                            ServerAddr("::1", 81, "::1", socket.AF_INET6),
                            ServerAddr("0.0.0.0", 0, "*")]
        c1, c2 = core(v1), core(v2)
        assert (c1.server_hostname, c1.port, c1.names, c1.wild_names) == (
            "v", 0, ["a"], ["*.b"])   # ServerName without a port resets it
        # the main server's value at the point the <VirtualHost> was read
        assert (c1.limit_req_line, c2.limit_req_line) == (100, 200)
        assert c2.port == 443 and v2.addrs[0].is_wildcard


def test_virtual_host_port_is_read_as_apr_reads_it(tmp_path):
    """apr_parse_addr_port reads the port with atoi: apache2 -S lists
    <VirtualHost 127.0.0.1:4294967376> as 127.0.0.1:80 (this server refused it)."""
    p = load(tmp_path, "<VirtualHost 127.0.0.1:4294967376>\nServerName v\n</VirtualHost>\n")
    assert p.vhosts[0].addrs == [ServerAddr("127.0.0.1", 80, "127.0.0.1")]
