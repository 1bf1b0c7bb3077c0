"""Configs and requests answered by the real Apache 2.4.71 and by this server.

``record.py`` runs each scenario on apache2 and stores what it answered in
``apache_answers.json``; ``test_answers.py`` runs the same scenarios through
``process_request`` and compares.  ``$ROOT`` is the scenario's folder, ``$PORT`` the
port Apache listened on (our side answers as if it had).  A request is
``(method, target)`` or ``(method, target, {"Header": "value"})``; a "Host" entry
replaces the default ``localhost``.
"""
from __future__ import annotations

from tests.conformance.request.scenarios_base import BASE_FILES, MIME_TYPES, ROOT_RULES  # noqa: F401
from tests.conformance.request.scenarios_more import MORE_SCENARIOS

SCENARIOS = {
    "basic": {
        "config": ROOT_RULES,
        "requests": [
            ("GET", "/"), ("GET", "/index.html"), ("GET", "/a.txt"), ("GET", "/sub"),
            ("GET", "/sub/"), ("GET", "/sub?x=1"), ("GET", "/noidx/"), ("GET", "/noidx"),
            ("GET", "/nothere"), ("GET", "/nothere/deeper/still"), ("GET", "/a.txt/extra"),
            ("GET", "/a.txt/"), ("GET", "//a.txt"), ("GET", "/sub/../a.txt"),
            ("GET", "/./sub/./file.txt"), ("GET", "/sub/.."), ("GET", "/../x"),
            ("GET", "/%2e%2e/x"), ("GET", "/.%2e/x"), ("GET", "/a%2fb"), ("GET", "/a.txt%00x"),
            ("GET", "/%zz"), ("GET", "/%252e%252e/x"), ("GET", "/s%75b/file.txt"),
            ("GET", "/sub/%%32%65"), ("GET", "/%u002e"), ("GET", "/dir%20with%20space/f.txt"),
            ("GET", "/dir%20with%20space"), ("HEAD", "/nothere"), ("PUT", "/a.txt"),
            ("DELETE", "/a.txt"), ("POST", "/a.txt"), ("GET", "/caf\u00c3\u00a9"),
            ("GET", "/..%2f..%2fetc%2fpasswd"), ("GET", "/sub/index.html/x"),
        ],
    },
    "path_info": {
        "config": ROOT_RULES + """<Directory $ROOT/htdocs/sub>
    AcceptPathInfo On
</Directory>
""",
        "requests": [("GET", "/sub/file.txt/more/path"), ("GET", "/a.txt/extra"),
                     ("GET", "/sub/nothere/x")],
    },
    "alias": {
        "config": ROOT_RULES + """Alias /o/ $ROOT/other/
Alias /single $ROOT/other/x.txt
AliasMatch ^/am/(.*)\\.txt$ $ROOT/other/$1.txt
ScriptAlias /cgi/ $ROOT/other/
<Directory $ROOT/other>
    Require all granted
</Directory>
Redirect /old http://example.com/new
Redirect permanent /perm /elsewhere
Redirect seeother /so http://example.com/so
Redirect gone /gone
Redirect 410 /gone2
Redirect 307 /t307 http://example.com/307
RedirectMatch ^/rm/(.*)$ http://example.com/m/$1
RedirectMatch 301 ^/amp/(.*)$ http://example.com/?a=1&b=$1
RedirectMatch ^/relm/(.*)$ /target/$1
RedirectTemp /tmp http://example.com/tmp
RedirectPermanent /pp http://example.com/pp
<Location /loc>
    Redirect http://example.com/loc-target
</Location>
<Directory $ROOT/htdocs/sub>
    Redirect /sub/file.txt http://example.com/from-dir
</Directory>
""",
        "requests": [
            ("GET", "/o/x.txt"), ("GET", "/o/sub/y.txt"), ("GET", "/o/nothere"),
            ("GET", "/o"), ("GET", "/single"), ("GET", "/am/x.txt"), ("GET", "/am/none.txt"),
            ("GET", "/cgi/x.txt"), ("GET", "/old"), ("GET", "/old/deep/path?q=1"),
            ("GET", "/oldx"), ("GET", "/perm/a%20b"), ("GET", "/perm/x?y=z"), ("GET", "/so"),
            ("GET", "/gone"), ("GET", "/gone2/x"), ("GET", "/t307"), ("GET", "/rm/foo/bar"),
            ("GET", "/rm/a%20b"), ("GET", "/amp/zz"), ("GET", "/relm/q"), ("GET", "/tmp"),
            ("GET", "/pp/x"), ("GET", "/loc"), ("GET", "/loc/x"), ("GET", "/sub/file.txt"),
            ("GET", "/sub/index.html"),
        ],
    },
    "mime": {
        "files": {"htdocs/x.tar.gz": "gz", "htdocs/doc.html.fr": "fr",
                  "htdocs/doc.fr.html": "fr2", "htdocs/noext": "n", "htdocs/.hidden": "h",
                  "htdocs/t.utf8.txt": "u", "htdocs/img.PNG": "p", "htdocs/a.foo": "foo",
                  "htdocs/ft/a.txt": "ft", "htdocs/sh/a.txt": "sh", "htdocs/rt/a.txt": "rt",
                  "htdocs/dl/a.txt": "dl", "htdocs/a.bar.baz": "bb", "htdocs/bad..html": "b"},
        "config": ROOT_RULES + """AddLanguage fr .fr
AddCharset UTF-8 .utf8
AddEncoding x-gzip .gz
AddType application/x-foo .foo
AddType "text/special; level=1" .bar
AddCharset ISO-8859-2 .baz
<Directory $ROOT/htdocs/ft>
    ForceType image/gif
</Directory>
<Directory $ROOT/htdocs/sh>
    SetHandler default-handler
</Directory>
<Directory $ROOT/htdocs/rt>
    RemoveType .txt
</Directory>
<Directory $ROOT/htdocs/dl>
    DefaultLanguage de
</Directory>
""",
        "requests": [("GET", "/x.tar.gz"), ("GET", "/doc.html.fr"), ("GET", "/doc.fr.html"),
                     ("GET", "/noext"), ("GET", "/.hidden"), ("GET", "/t.utf8.txt"),
                     ("GET", "/img.PNG"), ("GET", "/a.foo"), ("GET", "/ft/a.txt"),
                     ("GET", "/sh/a.txt"), ("GET", "/rt/a.txt"), ("GET", "/dl/a.txt"),
                     ("GET", "/a.bar.baz"), ("GET", "/bad..html")],
    },
    "dir": {
        "files": {"htdocs/d1/home.html": "home", "htdocs/d1/index.html": "i",
                  "htdocs/d2/index.html": "i2", "htdocs/d3/index.html": "i3",
                  "htdocs/d4/default.txt": "d", "htdocs/d5/index.html": "i5",
                  "htdocs/fb/real.txt": "real", "htdocs/fallback.html": "fallback",
                  "htdocs/d6/x.txt": "x"},
        "config": ROOT_RULES + """<Directory $ROOT/htdocs/d1>
    DirectoryIndex missing.html home.html index.html
</Directory>
<Directory $ROOT/htdocs/d2>
    DirectoryIndex disabled
</Directory>
<Directory $ROOT/htdocs/d3>
    DirectorySlash Off
</Directory>
<Directory $ROOT/htdocs/d4>
    DirectoryIndex /d4/default.txt
</Directory>
<Directory $ROOT/htdocs/d5>
    DirectoryIndexRedirect on
</Directory>
<Directory $ROOT/htdocs/fb>
    FallbackResource /fallback.html
</Directory>
<Directory $ROOT/htdocs/d6>
    DirectoryIndex disabled
    FallbackResource /fallback.html
</Directory>
""",
        "requests": [("GET", "/d1/"), ("GET", "/d2/"), ("GET", "/d3"), ("GET", "/d3/"),
                     ("GET", "/d4/"), ("GET", "/d5/"), ("GET", "/d5/?a=b"), ("GET", "/fb/real.txt"),
                     ("GET", "/fb/nothing"), ("GET", "/fb/deep/nothing?x=1"), ("GET", "/fb/"),
                     ("POST", "/d1"), ("GET", "/d6/"), ("GET", "/d6/x.txt/pi")],
    },
    "authz": {
        "files": {f"htdocs/{n}/f.txt": n for n in (
            "ipok", "ipno", "notip", "all", "any", "none", "meth", "expr", "env", "local",
            "merge_and", "merge_off", "merge_or", "limit", "limitex", "netmask")},
        "config": ROOT_RULES + """<Directory $ROOT/htdocs/ipok>
    Require ip 127.0.0.1
</Directory>
<Directory $ROOT/htdocs/ipno>
    Require ip 10.0.0.0/8 192.168
</Directory>
<Directory $ROOT/htdocs/notip>
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Directory>
<Directory $ROOT/htdocs/all>
    <RequireAll>
        Require ip 127.0.0.1
        Require method GET
    </RequireAll>
</Directory>
<Directory $ROOT/htdocs/any>
    <RequireAny>
        Require ip 10.1.1.1
        Require expr %{REQUEST_URI} =~ m#/any/#
    </RequireAny>
</Directory>
<Directory $ROOT/htdocs/none>
    <RequireAll>
        Require all granted
        <RequireNone>
            Require ip 127.0.0.0/8
        </RequireNone>
    </RequireAll>
</Directory>
<Directory $ROOT/htdocs/meth>
    Require method POST
</Directory>
<Directory $ROOT/htdocs/expr>
    Require expr "%{HTTP:X-Let-Me-In} == 'yes'"
</Directory>
<Directory $ROOT/htdocs/env>
    Require env NEVER_SET
</Directory>
<Directory $ROOT/htdocs/local>
    Require local
</Directory>
<Directory $ROOT/htdocs/merge_and>
    AuthMerging And
    Require ip 10.9.9.9
</Directory>
<Directory $ROOT/htdocs/merge_off>
    Require ip 10.9.9.9
</Directory>
<Directory $ROOT/htdocs/merge_or>
    AuthMerging Or
    Require ip 10.9.9.9
</Directory>
<Directory $ROOT/htdocs/limit>
    <Limit POST>
        Require all denied
    </Limit>
</Directory>
<Directory $ROOT/htdocs/limitex>
    <LimitExcept GET>
        Require all denied
    </LimitExcept>
</Directory>
<Directory $ROOT/htdocs/netmask>
    Require ip 127.0.0.0/255.0.0.0
</Directory>
""",
        "requests": [("GET", f"/{n}/f.txt") for n in (
            "ipok", "ipno", "notip", "all", "any", "none", "meth", "env", "local",
            "merge_and", "merge_off", "merge_or", "limit", "limitex", "netmask")] + [
            ("POST", "/all/f.txt"), ("POST", "/meth/f.txt"), ("GET", "/expr/f.txt"),
            ("GET", "/expr/f.txt", {"X-Let-Me-In": "yes"}), ("POST", "/limit/f.txt"),
            ("POST", "/limitex/f.txt"), ("GET", "/ipno/"), ("GET", "/ipno/missing")],
    },
    "sections": {
        "files": {"htdocs/s/a.txt": "a", "htdocs/s/b.html": "b", "htdocs/s/deep/c.txt": "c",
                  "htdocs/m/x.txt": "x", "htdocs/private.txt": "p"},
        "config": ROOT_RULES + """<Directory $ROOT/htdocs/s>
    ForceType text/from-directory
</Directory>
<DirectoryMatch "^$ROOT/htdocs/s/deep">
    ForceType text/from-directorymatch
</DirectoryMatch>
<Files "b.html">
    ForceType text/from-files
</Files>
<FilesMatch "^c\\.txt$">
    ForceType text/from-filesmatch
</FilesMatch>
<Location /s/deep>
    ForceType text/from-location
</Location>
<LocationMatch "^/m/">
    ForceType text/from-locationmatch
</LocationMatch>
<If "%{QUERY_STRING} == 'if'">
    ForceType text/from-if
</If>
<ElseIf "%{QUERY_STRING} == 'elseif'">
    ForceType text/from-elseif
</ElseIf>
<Location /m/>
    <If "%{QUERY_STRING} == 'a'">
        ForceType text/m-if
    </If>
    <Else>
        ForceType text/m-else
    </Else>
</Location>
<Files private.txt>
    Require all denied
</Files>
<Location /s/a.txt>
    <If "%{QUERY_STRING} == 'nested'">
        ForceType text/from-nested-if
    </If>
</Location>
""",
        "requests": [("GET", "/s/a.txt"), ("GET", "/s/b.html"), ("GET", "/s/deep/c.txt"),
                     ("GET", "/s/deep/c.txt?if"), ("GET", "/s/b.html?elseif"),
                     ("GET", "/m/x.txt"), ("GET", "/m/x.txt?a"), ("GET", "/private.txt"),
                     ("GET", "/s/a.txt?nested"),
                     ("GET", "//s///deep/c.txt")],
    },
    "errors": {
        "files": {"htdocs/e2/x": "x"},
        "config": ROOT_RULES + """ServerSignature On
ServerAdmin admin@example.com
<Location /e1>
    ErrorDocument 404 /missing-error-doc.html
</Location>
<Location /e2>
    ErrorDocument 404 /err/404.html
</Location>
<Location /e3>
    ErrorDocument 404 "custom text message
</Location>
<Location /e4>
    ErrorDocument 404 http://example.com/notfound
</Location>
<Location /e5>
    Require all denied
    ErrorDocument 403 /missing-forbidden.html
</Location>
<Location /e6>
    ServerSignature EMail
</Location>
<Location /e7>
    ErrorDocument 404 default
</Location>
<Location /e8>
    ErrorDocument 405 "method text
</Location>
""",
        "requests": [("GET", "/e1/zz"), ("GET", "/e2/zz"), ("GET", "/e3/zz"), ("GET", "/e4/zz"),
                     ("GET", "/e5/zz"), ("GET", "/e6/zz"), ("GET", "/e7/zz"), ("PUT", "/e8/"),
                     ("HEAD", "/e3/zz"), ("GET", "/nothere", {"Host": "www.example.com:8080"}),
                     ("GET", "/nothere", {"Host": "[::1]:99"})],
    },
    "recursion": {
        "files": {"htdocs/loopdir/x.txt": "x"},
        "config": ROOT_RULES + """ErrorDocument 404 /loop/missing
LimitInternalRecursion 4
<Directory $ROOT/htdocs/loopdir>
    DirectoryIndex ./
</Directory>
""",
        "requests": [("GET", "/nothere"), ("GET", "/loopdir/")],
    },

}
SCENARIOS.update(MORE_SCENARIOS)

SCENARIOS.update({
    "encoded_slashes": {
        "files": {"htdocs/on/a/b.txt": "ab", "htdocs/nd/a/b.txt": "nd"},
        "config": ROOT_RULES + """AllowEncodedSlashes On
<VirtualHost *:$PORT>
    ServerName nodecode.example
    DocumentRoot $ROOT/htdocs
    AllowEncodedSlashes NoDecode
</VirtualHost>
<VirtualHost *:$PORT>
    ServerName on.example
    DocumentRoot $ROOT/htdocs
    AllowEncodedSlashes On
</VirtualHost>
""",
        "requests": [("GET", "/on/a%2fb.txt", {"Host": "on.example"}),
                     ("GET", "/nd/a%2fb.txt", {"Host": "nodecode.example"}),
                     ("GET", "/nd/a%2fb.txt", {"Host": "on.example"}),
                     ("GET", "/on/a%2f..%2fa%2fb.txt", {"Host": "on.example"}),
                     ("GET", "/on/a%00b", {"Host": "on.example"})],
    },
    "locations": {
        "files": {"htdocs/loc/a.txt": "a", "htdocs/locx/a.txt": "x", "htdocs/d/f.txt": "f",
                  "htdocs/d/sub/g.txt": "g"},
        "config": ROOT_RULES + """<Location /loc>
    ForceType text/loc
</Location>
<Location /d/>
    ForceType text/d-slash
</Location>
<LocationMatch "^/d//f">
    ForceType text/double
</LocationMatch>
<Location /d/*/g.txt>
    ForceType text/wild
</Location>
<DirectoryMatch "/f\\.txt$">
    ForceType text/dirmatch-file
</DirectoryMatch>
<DirectoryMatch "/sub/?$">
    ForceType text/dirmatch-dir
</DirectoryMatch>
<Directory $ROOT/htdocs/d/f.txt>
    ForceType text/dir-on-file
</Directory>
""",
        "requests": [("GET", "/loc/a.txt"), ("GET", "/locx/a.txt"), ("GET", "/loc"),
                     ("GET", "/d/f.txt"), ("GET", "//d//f.txt"), ("GET", "/d/sub/g.txt"),
                     ("GET", "/d")],
    },
    "merge_slashes_off": {
        "files": {"htdocs/d/f.txt": "f"},
        "config": ROOT_RULES + """MergeSlashes Off
<Location /d/f.txt>
    ForceType text/loc
</Location>
""",
        "requests": [("GET", "/d/f.txt"), ("GET", "/d//f.txt"), ("GET", "//d/f.txt")],
    },
    "serverpath": {
        "files": {"v1/who.txt": "v1", "v2/who.txt": "v2"},
        "config": ROOT_RULES + """<Directory $ROOT>
    Require all granted
</Directory>
<VirtualHost *:$PORT>
    ServerName one.example
    DocumentRoot $ROOT/v1
</VirtualHost>
<VirtualHost *:$PORT>
    ServerName two.example
    ServerPath /two
    DocumentRoot $ROOT/v2
</VirtualHost>
""",
        "requests": [("GET", "/two/who.txt", {"Host": "two.example"}),
                     ("GET", "/who.txt", {"Host": "two.example"}),
                     ("GET", "/two/who.txt", {"Host": "one.example"})],
    },
})

# Where this server answers differently on purpose (reliability.md 1.3), with the reason.
DELIBERATE = {
    ("symlinks", "GET", "/out.txt"): "a link leaving the DocumentRoot needs an explicit "
                                     "Options FollowSymLinks",
    ("symlinks", "GET", "/outdir/secret.txt"): "same: the link is a directory",
    ("alias", "GET", "/cgi/x.txt"): "without mod_cgi a ScriptAlias file is refused (403), "
                                    "never sent as its source",
}
