"""Cases for mod_env, mod_setenvif and mod_headers, run on real Apache 2.4.71 by
``record.py`` (answers in ``headers_golden.json``) and on this server's hooks by
``test_headers.py``.

A case has server-level lines, lines for the ``<Location>`` of its target, the request
headers, and a target: ``cgi`` (a script that prints its environment, showing
subprocess_env and, as HTTP_*, the request headers after RequestHeader), ``list`` (a
directory listing: Header lines on a response the handler made) or ``missing`` (a 404:
only ``Header always`` applies).
"""
from __future__ import annotations

UA = "Mozilla/5.0 (X11; Linux) Gecko/20100101 Firefox/120.0"

CASES = {
    # -- mod_env ---------------------------------------------------------------------
    "setenv": dict(target="cgi", server='SetEnv A 1\nSetEnv B "two words"\nSetEnv C',
                   watch=["A", "B", "C"]),
    "unsetenv": dict(target="cgi", server="SetEnv A 1\nSetEnv B 2",
                     location="UnsetEnv A\nSetEnv C 3\nSetEnv D 4\nUnsetEnv D\nSetEnv b low",
                     watch=["A", "B", "C", "D"]),
    # SetEnvIf (header_parser) comes before SetEnv (fixups), and apr_table_overlay
    # keeps the earlier entry first: readers of the table see SetEnvIf's value.  (A CGI
    # script would see SetEnv's: Apache flattens the table last-wins for it.)
    "overlay": dict(target="list", server="SetEnv FOO a\nSetEnvIf Request_URI . FOO=b\n"
                                          "SetEnv BAR x\nHeader set X-Foo %{FOO}e\n"
                                          "Header set X-Bar %{bar}e"),
    # -- mod_setenvif ------------------------------------------------------------------
    "specials": dict(target="cgi", server=(
        "SetEnvIf Remote_Addr ^127\\.(0) R_ADDR=$0-$1\n"
        "SetEnvIf Server_Addr ^127 S_ADDR=$0\n"
        "SetEnvIf Request_Method ^G(E)T METHOD=$1\n"
        "SetEnvIf Request_Protocol HTTP/(1\\.1) PROTO=$1\n"
        "SetEnvIf Request_URI ^/(cgi)-(bin) CAP=$2$1\n"
        "SetEnvIf Remote_Host . RHOST=$0"),
        watch=["R_ADDR", "S_ADDR", "METHOD", "PROTO", "CAP", "RHOST"]),
    "browsers": dict(target="cgi", headers=[("User-Agent", UA), ("X-Foo", "bar"),
                                            ("X-Fooo", "baz")], server=(
        "SetEnvIf User-Agent Mozilla UA_LIT=$1\n"
        "SetEnvIfNoCase User-Agent mozilla UA_NC\n"
        "SetEnvIf User-Agent mozilla UA_CASE\n"
        "BrowserMatch ^Moz(illa)/(\\d) BM=$1-$2\n"
        "BrowserMatchNoCase firefox/(1)(2) BMNC=$2$1 OTHER=\\$1\n"
        "SetEnvIf ^X-Fo+$ (ba.) XF=$1\n"
        "SetEnvIf X-None ^$ NONE_EMPTY\n"
        "SetEnvIf X-Foo a\\.r DOT_LIT\n"
        "SetEnvIf X-Foo b\\ar ESC_LETTER\n"
        "SetEnvIf x-foo ^bar$ LOWER_NAME=yes"),
        watch=["UA_LIT", "UA_NC", "UA_CASE", "BM", "BMNC", "OTHER", "XF", "NONE_EMPTY",
               "DOT_LIT", "ESC_LETTER", "LOWER_NAME"]),
    "chain": dict(target="cgi", server=(
        "SetEnvIf Request_URI . FIRST=1 GONE=1 KEEP\n"
        "SetEnvIf FIRST ^1$ SECOND=yes\n"
        "SetEnvIf Request_URI . !GONE\n"
        "SetEnvIf Request_URI . same=1\n"
        "SetEnvIf Request_URI . SAME=2"),
        location="SetEnvIf SECOND yes THIRD=$0\nSetEnvIf Request_URI . !KEEP",
        watch=["FIRST", "SECOND", "GONE", "KEEP", "THIRD", "same", "SAME"]),
    "expr": dict(target="cgi", headers=[("X-Foo", "bar")], server=(
        "SetEnvIfExpr \"%{REQUEST_URI} =~ /(cgi)/\" EXPR=$1\n"
        "SetEnvIfExpr \"req('X-Foo') == 'bar'\" EXPR2\n"
        "SetEnvIfExpr \"req('X-Foo') == 'nope'\" EXPR3\n"
        "SetEnvIfExpr \"-n %{REQUEST_METHOD}\" HOSTSET=$0"),
        watch=["EXPR", "EXPR2", "EXPR3", "HOSTSET"]),
    # -- RequestHeader -------------------------------------------------------------------
    "reqheader": dict(target="cgi", headers=[("X-A", "1"), ("X-B", "b"), ("X-M", "a, b"),
                                            ("X-E", "aXbXc"), ("X-U", "gone")],
                      server=(
        "RequestHeader set X-Set new\n"
        "RequestHeader add X-A 2\n"
        "RequestHeader append X-B more\n"
        "RequestHeader merge X-M b\n"
        "RequestHeader merge X-M c\n"
        "RequestHeader setifempty X-B nope\n"
        "RequestHeader setifempty X-New fresh\n"
        "RequestHeader unset X-U\n"
        "RequestHeader edit X-E X _\n"
        "RequestHeader edit* X-B (b) [$1]\n"
        "SetEnv FOO from-env\n"
        "RequestHeader set X-Env %{FOO}e\n"
        "RequestHeader set X-Missing %{NOPE}e\n"
        "RequestHeader set X-Expr expr=%{REQUEST_METHOD}-%{req:X-A}"),
        watch=["HTTP_X_SET", "HTTP_X_A", "HTTP_X_B", "HTTP_X_M", "HTTP_X_NEW", "HTTP_X_U",
               "HTTP_X_E", "HTTP_X_ENV", "HTTP_X_MISSING", "HTTP_X_EXPR"]),
    "reqcond": dict(target="cgi", headers=[("X-Foo", "bar")], server=(
        "SetEnvIf X-Foo bar HAVEFOO\n"
        "RequestHeader set X-If-Env yes env=HAVEFOO\n"
        "RequestHeader set X-If-Not yes env=!HAVEFOO\n"
        "RequestHeader set X-If-None yes env=NOPE\n"
        "RequestHeader set X-If-Expr yes \"expr=%{req:X-Foo} == 'bar'\"\n"
        "RequestHeader set X-Early yes early\n"
        "SetEnvIf X-Early yes SAW_EARLY\n"
        "SetEnvIf X-If-Env yes SAW_LATE"),
        watch=["HTTP_X_IF_ENV", "HTTP_X_IF_NOT", "HTTP_X_IF_NONE", "HTTP_X_IF_EXPR",
               "HTTP_X_EARLY", "SAW_EARLY", "SAW_LATE", "HAVEFOO"]),
    "reqlocation": dict(target="cgi", headers=[("X-Foo", "bar")],
                        server="RequestHeader set X-Order server",
                        location="RequestHeader append X-Order location\n"
                                 "RequestHeader set X-Loc %{FOO}e\nSetEnv FOO loc",
                        watch=["HTTP_X_ORDER", "HTTP_X_LOC", "FOO"]),
    # -- Header --------------------------------------------------------------------------
    "header": dict(target="list", headers=[("X-Echo-1", "one"), ("X-Echo-2", "two"),
                                          ("X-Other", "o")], server=(
        "Header set X-Set a\n"
        "Header add X-Add 1\n"
        "Header add X-Add 2\n"
        "Header append X-Add 3\n"
        "Header merge X-Merge \"a, \\\"b,c\\\"\"\n"
        "Header merge X-Merge b\n"
        "Header merge X-Merge \"b,c\"\n"
        "Header merge X-Merge a\n"
        "Header setifempty X-Set nope\n"
        "Header setifempty X-Empty filled\n"
        "Header set X-Gone x\n"
        "Header unset X-Gone\n"
        "Header echo ^X-Echo\n"
        "Header set X-Edit aaXaa\n"
        "Header edit X-Edit (a+) <$1>\n"
        "Header set X-Edit2 banana\n"
        "Header edit* X-Edit2 a -\n"
        "Header set X-Edit3 abc\n"
        "Header edit X-Edit3 ^ +\n"
        "Header set X-Fmt \"100%% %{FOO}e %{NOPE}e\"\n"
        "SetEnv FOO fooval\n"
        "Header set X-Val expr=%{REQUEST_URI}\n"
        "Header note X-Set thenote\n"
        "Header set X-Esc \"a\\\\tb\\\\\\\\c\""),
        location="Header append X-Set loc\nHeader always set X-Always yes"),
    "headercond": dict(target="list", headers=[("X-Foo", "bar")], server=(
        "SetEnvIf X-Foo bar HAVEFOO\n"
        "Header set X-If-Env yes env=HAVEFOO\n"
        "Header set X-If-Not yes env=!HAVEFOO\n"
        "Header always set X-If-None yes env=NOPE\n"
        "Header set X-If-Expr yes \"expr=%{req:X-Foo} == 'bar'\"\n"
        "Header set X-If-Expr2 yes \"expr=%{req:X-Foo} == 'baz'\"\n"
        "Header onsuccess set X-On yes\n"
        "Header always set X-Al yes\n"
        "Header always unset X-On\n"
        "Header set Content-Type text/x-listing")),
    "headerct": dict(target="list", server="Header edit Content-Type ^text/(.*) app/$1"),
    "missing": dict(target="missing", headers=[("X-Echo-1", "one")], server=(
        "Header set X-Success yes\n"
        "Header always set X-Always yes\n"
        "Header always add X-Always again\n"
        "Header always setifempty X-Always no\n"
        "Header always set X-Uri expr=%{REQUEST_URI}")),
    "early": dict(target="list", headers=[("X-Foo", "bar")], server=(
        "Header set X-Early early-value early\n"
        "Header always set X-Early-Always aval early\n"
        "Header unset X-Early\n"
        "RequestHeader set X-Req early early\n"
        "Header echo ^X-Req")),
}

# what the CGI script prints: the environment, one "NAME=value" per line
CGI_SCRIPT = "#!/bin/sh\necho 'Content-Type: text/plain'\necho\nenv\n"
TARGET_PATH = {"cgi": "/cgi-bin/env.cgi", "list": "/list/", "missing": "/list/nope"}


def config(case: str, cgi_dir: str, list_dir: str) -> str:
    c = CASES[case]
    target = c["target"]
    where = "/cgi-bin" if target == "cgi" else "/list"
    return (f"ScriptAlias /cgi-bin/ {cgi_dir}/\n<Directory {cgi_dir}>\nRequire all granted\n"
            f"</Directory>\nAlias /list {list_dir}\n<Directory {list_dir}>\nOptions Indexes\n"
            f"Require all granted\n</Directory>\n{c.get('server', '')}\n"
            f"<Location {where}>\n{c.get('location', '')}\n</Location>\n")
