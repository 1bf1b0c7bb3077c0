"""mod_authz_core: the Require tree and Apache 2.4.71's messages (mod_authz_host loaded
too, for the ``ip`` provider)."""
from __future__ import annotations

import pytest

from directives import mod_authz_core as core
from directives import mod_authz_host as host
from directives.mod_authz_core import AuthzCoreDirConfig, AuthzSection, Logic
from directives.mod_authz_host import IPSubnet

MODS = [core.MODULE, host.MODULE]


def in_dir(*lines):
    return "<Directory />\n" + "".join(l + "\n" for l in lines) + "</Directory>\n"


def message(conf, text, mods=MODS):
    r = conf(mods, text)
    assert r.error is not None, "expected an error"
    return r.error.split("\n", 1)[1]


def root_of(conf, text):
    r = conf(MODS, text)
    assert r.error is None, r.error
    confs = core._state(r.process).confs
    assert len(confs) == 1
    return confs[0].section


class TestRequire:
    @pytest.mark.parametrize("line,msg", [
        ("Require", "Unknown Authz provider: "),
        ("Require not", "Unknown Authz provider: "),
        ("Require foo", "Unknown Authz provider: foo"),
        ("Require ALL granted", "Unknown Authz provider: ALL"),
        ("Require not ip 1.2.3.4",
         "negative Require directive has no effect in <RequireAny> directive"),
        ("Require NOT ip 1.2.3.4",
         "negative Require directive has no effect in <RequireAny> directive"),
        ("Require all", "Argument for 'Require all' must be 'granted' or 'denied'"),
        ("Require all granted x", "Argument for 'Require all' must be 'granted' or 'denied'"),
        ('Require all "granted"', "Argument for 'Require all' must be 'granted' or 'denied'"),
        ("Require method GET FOO", "Invalid Method 'FOO'"),
        ("Require method get", "Invalid Method 'get'"),
        ("Require expr", "Cannot parse expression in require line: syntax error, unexpected $end"),
        ('Require expr ""',
         "Cannot parse expression in require line: syntax error, unexpected $end"),
    ])
    def test_errors(self, conf, line, msg):
        assert message(conf, in_dir(line)) == msg

    @pytest.mark.parametrize("line", [
        "Require ip 10.0.0.0/8 ::1", "Require ip 10.1", "Require ip 10.0.0.1/255.0.0.0",
        "Require ip 10.0.0.0/255.255.0.255", "Require ip 10.", "Require method",
        "Require method HEAD", "Require method VERSION-CONTROL MERGE", "Require local x",
        "Require host", "Require forward-dns", "Require env", 'Require expr "true"',
        "Require expr true", "Require local",
    ])
    def test_accepted(self, conf, line):
        assert conf(MODS, in_dir(line)).error is None

    def test_host_module_needed_for_ip(self, conf):
        assert message(conf, in_dir("Require ip 1.2.3.4"), [core.MODULE]) == \
            "Unknown Authz provider: ip"

    def test_not_allowed_at_server_level(self, conf):
        assert message(conf, "Require all granted\n") == "Require not allowed here"
        assert message(conf, "<RequireAll>\nRequire all granted\n</RequireAll>\n") == \
            "<RequireAll not allowed here"

    def test_tree(self, conf):
        root = root_of(conf, in_dir("Require ip 10.0.0.0/8 ::1", "Require method GET POST"))
        assert root.op is Logic.OR and not root.negate and root.limited == -1
        ip, method = root.children
        assert ip.describe() == "Require ip 10.0.0.0/8 ::1"
        assert ip.parsed_args == (IPSubnet(4, 0x0A000000, 0xFF000000),
                                  IPSubnet(6, 1, (1 << 128) - 1))
        assert method.parsed_args == 0b101

    def test_limit_masks(self, conf):
        root = root_of(conf, in_dir("<Limit GET>", "Require all granted", "</Limit>"))
        assert root.children[0].limited == 1 and root.limited == 1
        assert root.children[0].parsed_args is True


class TestContainers:
    def test_all_inside_root(self, conf):
        root = root_of(conf, in_dir("<RequireAll>", "Require all granted",
                                    "Require not ip 1.2.3.4", "</RequireAll>"))
        (section,) = root.children
        assert section.describe() == "<RequireAll>"
        assert [c.describe() for c in section.children] == [
            "Require all granted", "Require not ip 1.2.3.4"]

    def test_any_is_associative(self, conf):
        root = root_of(conf, in_dir("Require env a", "<RequireAny>", "Require env b",
                                    "</RequireAny>"))
        assert [c.describe() for c in root.children] == ["Require env a", "Require env b"]

    @pytest.mark.parametrize("body,line,msg", [
        (["<RequireNone>", "Require ip 1.2.3.4", "</RequireNone>"], 2,
         "<RequireNone> directive has no effect in <RequireAny> directive"),
        (["<RequireAny>", "<RequireNone>", "Require ip 1.2.3.4", "</RequireNone>",
          "</RequireAny>"], 3, "<RequireNone> directive has no effect in <RequireAny> directive"),
        (["<RequireNone>", "Require not ip 1.2.3.4", "</RequireNone>"], 3,
         "negative Require directive has no effect in <RequireNone> directive"),
        (["<RequireAll>", "</RequireAll>"], 2,
         "<RequireAll> directive contains no authorization directives"),
        (["<RequireAll foo>", "Require all granted", "</RequireAll>"], 2,
         "<RequireAll> directive doesn't take additional arguments"),
        (["<RequireAll>", "ServerName x", "</RequireAll>"], 3,
         "ServerName not allowed in <RequireAll> context"),
        (["AuthMerging foo"], 2, "AuthMerging must be one of: Off | And | Or"),
        (["AuthzSendForbiddenOnFailure x"], 2, "AuthzSendForbiddenOnFailure must be On or Off"),
    ])
    def test_errors(self, conf, body, line, msg):
        r = conf(MODS, in_dir(*body))
        assert r.error == f"AH00526: Syntax error on line {line} of {conf.file}:\n{msg}"

    def test_none_inside_all_is_fine(self, conf):
        r = conf(MODS, in_dir("<RequireAll>", "<RequireNone>", "Require ip 1.2.3.4",
                              "</RequireNone>", "Require all granted", "</RequireAll>"),
                 check=True)
        assert r.error is None

    def test_only_negative_fails_the_check(self, conf):
        r = conf(MODS, in_dir("<RequireAll>", "Require not ip 1.2.3.4", "</RequireAll>"),
                 check=True)
        assert r.error == "AH00014: Configuration check failed"
        assert r.process.warnings == [
            "AH01624: <RequireAll> directive contains only negative authorization directives",
            "AH00014: Configuration check failed"]

    def test_auth_merging_and_forbidden(self, conf):
        r = conf(MODS, in_dir("AuthMerging or", "AuthzSendForbiddenOnFailure on",
                              "<RequireAll>", "AuthMerging and", "Require all granted",
                              "</RequireAll>"))
        assert r.error is None


class TestProviderAlias:
    def test_alias_then_require(self, conf):
        r = conf(MODS, "<AuthzProviderAlias ip myalias 10.0.0.0/8>\nRequire all granted\n"
                       "</AuthzProviderAlias>\n" + in_dir("Require myalias"))
        assert r.error is None
        rec = r.config("authz_core_module").alias_rec["myalias"]
        assert rec.provider_name == "ip" and rec.parsed_args == (IPSubnet(4, 0x0A000000,
                                                                          0xFF000000),)
        assert "authz_core_module" in rec.sec_auth

    def test_alias_used_before_definition(self, conf):
        assert message(conf, in_dir("Require myalias") +
                       "<AuthzProviderAlias ip myalias 1.2.3.4>\n</AuthzProviderAlias>\n") == \
            "Unknown Authz provider: myalias"

    @pytest.mark.parametrize("head,msg", [
        ("<AuthzProviderAlias ip myalias 10.0.0.0/33>",
         "Can't parse 'Require ip 10.0.0.0/33': ip address '10.0.0.0/33' appears to be "
         "invalid: The specified network mask is invalid."),
        ("<AuthzProviderAlias foo myalias x>", "Unknown Authz provider: foo"),
        ("<AuthzProviderAlias ip>", "<AuthzProviderAlias> directive requires additional "
                                    "arguments"),
        ("<AuthzProviderAlias>", "<AuthzProviderAlias> directive requires additional arguments"),
    ])
    def test_errors(self, conf, head, msg):
        assert message(conf, head + "\n</AuthzProviderAlias>\n") == msg

    def test_extra_arguments_warn(self, conf):
        r = conf(MODS, "<AuthzProviderAlias ip a b c>\n</AuthzProviderAlias>\n")
        assert r.error.endswith("\nCan't parse 'Require ip b': ip address 'b' appears to be "
                                "invalid")
        assert r.process.warnings == [
            "[authz_core:warn] AH10142: When several arguments (b c...) are passed to a "
            "<AuthzProviderAlias directive, they must be enclosed in quotation marks.  "
            "Otherwise, only the first one is taken into account"]

    def test_contexts(self, conf):
        assert message(conf, "<VirtualHost *:80>\n<AuthzProviderAlias ip a b>\n"
                             "</AuthzProviderAlias>\n</VirtualHost>\n") == \
            "<AuthzProviderAlias> cannot occur within <VirtualHost> section"
        assert message(conf, in_dir("<AuthzProviderAlias ip a b>", "</AuthzProviderAlias>")) == \
            "<AuthzProviderAlias not allowed in <Directory> context"
        r = conf(MODS, "<AuthzProviderAlias ip a b>\nServerName x\n</AuthzProviderAlias>\n")
        assert r.error == (f"AH00526: Syntax error on line 2 of {conf.file}:\n"
                           "ServerName not allowed in <AuthzProviderAlias> context")


class TestMerge:
    def _conf(self, name, op=Logic.UNSET):
        s = AuthzSection(name, "", provider=core.PROVIDERS["env"], limited=-1)
        return AuthzCoreDirConfig(AuthzSection(op=Logic.OR, limited=-1, children=[s]), op)

    def test_default_replaces(self):
        base, new = self._conf("a"), self._conf("b")
        assert core.merge_dir_config(base, new).section is new.section

    def test_and_merging(self):
        base, new = self._conf("a"), self._conf("b", Logic.AND)
        m = core.merge_dir_config(base, new)
        assert m.section.describe() == "AuthMerging All"
        assert m.section.children == [base.section, new.section]
        assert base.section.children[0].provider_name == "a"

    def test_forbidden_only_keeps_base(self):
        base = self._conf("a")
        m = core.merge_dir_config(base, AuthzCoreDirConfig(forbidden_on_fail=True))
        assert m.section is base.section and m.forbidden_on_fail is True


@pytest.mark.parametrize("body", [
    in_dir("Require ip 10.0.0.0/8 ::1", "Require ip 10.1"), in_dir("Require ip 10.0.0.0/33"),
    in_dir("Require ip x"), in_dir("Require"), in_dir("Require not ip 1.2.3.4"),
    in_dir("<RequireAll>", "Require not ip 1.2.3.4", "</RequireAll>"),
    in_dir("<RequireNone>", "Require ip 1.2.3.4", "</RequireNone>"),
    in_dir("<RequireAll>", "</RequireAll>"), in_dir("AuthMerging foo"),
    "Require all granted\n", "<AuthzProviderAlias ip a b c>\n</AuthzProviderAlias>\n",
])
def test_against_apache(differential, body):
    differential(body)


class TestExpressions:
    def test_require_expr_and_host(self, conf):
        msg = ("Cannot parse expression in require line: syntax error, unexpected T_ERROR, "
               "expecting T_VAR_END or ':': Unterminated string or variable")
        assert message(conf, in_dir('Require expr "%{foo"')) == msg
        assert message(conf, in_dir("Require host %{foo")) == msg
        root = root_of(conf, in_dir('Require expr "%{REMOTE_USER} == \'me\'"'))
        parsed = root.children[0].parsed_args
        assert parsed.want_user and parsed.expr.source == "%{REMOTE_USER} == 'me'"


class TestMethodOnlyTrees:
    """A tree of `Require all` / `Require method` answers by the method alone: its
    results are kept per method number, and every request still gets the right one."""

    def test_which_trees_are_method_only(self, conf):
        from directives.mod_authz_core.runtime import _method_only
        assert _method_only(root_of(conf, in_dir("Require all granted")))
        assert _method_only(root_of(conf, in_dir("<RequireAll>", "Require method GET POST",
                                                 "Require not all denied", "</RequireAll>")))
        assert not _method_only(root_of(conf, in_dir("Require method GET",
                                                     "Require ip 10.0.0.0/8")))

    def test_answers_per_method(self, tmp_path):
        from tests.request.pipeline import Server, tree
        tree(tmp_path, {"htdocs/a.txt": "a"})
        s = Server(tmp_path, "DocumentRoot $ROOT/htdocs\n<Directory $ROOT/htdocs>\n"
                   "Require method GET OPTIONS\n</Directory>\n")
        for _ in range(2):
            assert s.get("/a.txt").status == 200
            assert s.request("/a.txt", method="POST").status == 403
