"""Authentication and authorisation side by side with Apache: one config, one docroot,
httpd -X and apache2 -X loading the same modules (Debian's .so files for Apache).

Every htpasswd format Apache accepts on Linux (bcrypt ``$2y$`` ``$2a$`` ``$2b$``,
``$apr1$``, ``{SHA}``, crypt: DES, ``$5$``, ``$6$``) and the plain text it refuses each
get a directory of their own and the same requests: the right password, a wrong one,
no Authorization, and malformed ones (no colon, bad base64, another scheme, an empty
field).  Then Require user/group/valid-user/expr, Order/Allow/Deny both ways and
mutual-failure, Satisfy Any/All, AuthBasicFake (the faked field echoed by mod_headers),
an <AuthnProviderAlias>, AuthBasicUseDigestAlgorithm, AuthBasicAuthoritative, the
configuration errors met at request time (no AuthName, no Require, no AuthType), and
<Limit>.  Each answer must have the same status, WWW-Authenticate, X-Auth/X-User
fields and body; the access logs' ``%u`` must be the same too.

The password files are made by htpasswd (apache2-utils, installed with apache2).
"""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e import servers as S

HTPASSWD = shutil.which("htpasswd")
pytestmark = pytest.mark.skipif(S.APACHE is None or HTPASSWD is None,
                                reason="apache2 and htpasswd (apache2-utils) are needed")

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias", "headers", "authn_core",
           "auth_basic", "authn_file", "authz_user", "authz_groupfile", "access_compat")

# name -> htpasswd flag; each user's password is "pw-NAME"
FORMATS = {"bcrypt2y": "-B", "apr1": "-m", "sha": "-s", "des": "-d", "sha256": "-2",
           "sha512": "-5", "plain": "-p"}
DERIVED = {"bcrypt2a": "$2a$", "bcrypt2b": "$2b$"}     # from the $2y$ hash


def htpasswd(path: Path, flag: str, user: str, password: str) -> None:
    args = [HTPASSWD, "-b", "-C", "5"] if flag == "-B" else [HTPASSWD, "-b"]
    if not path.exists():
        args.append("-c")
    subprocess.run([*args, flag, str(path), user, password], check=True,
                   capture_output=True, timeout=30)


def b64(text: str) -> str:
    return base64.b64encode(text.encode("latin-1")).decode("ascii")


def make_tree(root: Path) -> tuple[str, list]:
    docs = root / "docs"
    pw = root / "pw"
    pw.mkdir(parents=True)
    sections = []
    for name, flag in FORMATS.items():
        htpasswd(pw / name, flag, name, f"pw-{name}")
    y = (pw / "bcrypt2y").read_text().strip().split(":", 1)[1]
    for name, prefix in DERIVED.items():
        (pw / name).write_text(f"{name}:{prefix}{y[4:]}\n")
    # the y hash is of "pw-bcrypt2y": the derived users share that password
    for name in (*FORMATS, *DERIVED):
        sections.append(f"""<Directory {docs}/{name}>
AuthType Basic
AuthName "fmt {name}"
AuthUserFile {pw}/{name}
Require valid-user
</Directory>""")
    # one file with several users, a group file, an alias's own file, an htdigest file
    for user in ("alice", "bob", "carol"):
        htpasswd(pw / "users", "-m", user, f"pw-{user}")
    (pw / "groups").write_text("staff: alice bob\n# comment\nadmins :carol\nstaff: dave\n")
    htpasswd(pw / "other", "-s", "zed", "pw-zed")
    htpasswd(pw / "other", "-s", "alice", "other-alice")
    digest = hashlib.md5(b"dig:realm d:pw-dig").hexdigest()
    (pw / "digest").write_text(f"dig:realm d:{digest}\n")
    users = f"AuthType Basic\nAuthUserFile {pw}/users"
    sections += [
        f"""<Directory {docs}/user>
{users}
AuthName "users"
Require user bob carol
</Directory>""",
        f"""<Directory {docs}/group>
{users}
AuthName "group"
AuthGroupFile {pw}/groups
Require group staff
</Directory>""",
        f"""<Directory {docs}/expr>
{users}
AuthName "expr"
Require expr %{{REMOTE_USER}} == 'carol'
</Directory>""",
        f"""<Directory {docs}/allowdeny>
Order allow,deny
Allow from all
Deny from 127.0.0.1
</Directory>""",
        f"""<Directory {docs}/denyallow>
Order deny,allow
Deny from all
Allow from 127.0.0.0/8
</Directory>""",
        f"""<Directory {docs}/mutual>
Order mutual-failure
Allow from 127.0.0.1
Deny from 10.0.0.0/255.0.0.0
</Directory>""",
        f"""<Directory {docs}/envdeny>
Order allow,deny
Allow from env=NOPE
Deny from env=!NOPE
</Directory>""",
        f"""<Directory {docs}/anyhost>
{users}
AuthName "any host"
Order allow,deny
Allow from 127.0.0.1
Require user carol
Satisfy Any
</Directory>""",
        f"""<Directory {docs}/anyuser>
{users}
AuthName "any user"
Order deny,allow
Deny from all
Require user carol
Satisfy Any
</Directory>""",
        f"""<Directory {docs}/all>
{users}
AuthName "all"
Order allow,deny
Allow from 127.0.0.1
Require user carol
Satisfy All
</Directory>""",
        f"""<Directory {docs}/alldenied>
{users}
AuthName "all denied"
Order deny,allow
Deny from all
Require valid-user
</Directory>""",
        f"""<Directory {docs}/denycompat>
Order deny,allow
Deny from all
Require all granted
</Directory>""",
        f"""<Directory {docs}/fake>
{users}
AuthName "fake"
AuthBasicFake "%{{REQUEST_METHOD}}-user" secret
Require valid-user
</Directory>""",
        f"""<Directory {docs}/alias>
AuthType Basic
AuthName "alias"
AuthBasicProvider other file
AuthUserFile {pw}/users
Require valid-user
</Directory>""",
        f"""<Directory {docs}/digest>
AuthType Basic
AuthName "realm d"
AuthUserFile {pw}/digest
AuthBasicUseDigestAlgorithm MD5
Require valid-user
</Directory>""",
        f"""<Directory {docs}/notauthoritative>
{users}
AuthName "na"
AuthBasicAuthoritative Off
Require valid-user
</Directory>""",
        f"""<Directory {docs}/noname>
{users}
Require valid-user
</Directory>""",
        f"""<Directory {docs}/norequire>
{users}
AuthName "no require"
</Directory>""",
        f"""<Directory {docs}/notype>
Require valid-user
</Directory>""",
        f"""<Directory {docs}/quoted>
{users}
AuthName "say \\"hi\\" to %{{REQUEST_METHOD}}"
Require valid-user
</Directory>""",
        f"""<Directory {docs}/limit>
{users}
AuthName "limit"
<Limit POST>
Require valid-user
</Limit>
<LimitExcept POST>
Require all granted
</LimitExcept>
</Directory>""",
    ]
    for name in (*FORMATS, *DERIVED, "user", "group", "expr", "allowdeny", "denyallow",
                 "mutual", "envdeny", "anyhost", "anyuser", "all", "alldenied",
                 "denycompat", "fake", "alias", "digest", "notauthoritative", "noname",
                 "norequire", "notype", "quoted", "limit"):
        (docs / name).mkdir(parents=True)
        (docs / name / "index.html").write_text(f"<p>{name}</p>\n")
    other = f"""<AuthnProviderAlias file other>
AuthUserFile {pw}/other
</AuthnProviderAlias>
"""
    body = (f"DocumentRoot {docs}\nLogFormat \"%h %u %r %>s\" auth\n"
            "CustomLog logs/access_log auth\n"
            'Header always set X-Auth "expr=%{req:Authorization}"\n'
            'Header always set X-User "expr=%{REMOTE_USER}"\n'
            + other + "\n".join(sections) + "\n")
    return body, requests()


def requests() -> list:
    out = []
    for name in (*FORMATS, *DERIVED):
        password = "pw-bcrypt2y" if name in DERIVED else f"pw-{name}"
        base = f"/{name}/"
        out += [(base, "Basic " + b64(f"{name}:{password}")),          # right
                (base, "Basic " + b64(f"{name}:wrong")),               # wrong
                (base, None),                                           # missing
                (base, "Basic " + b64(f"{name}{password}")),           # no colon
                (base, "Basic !!!" + b64(f"{name}:{password}")),       # bad base64
                (base, "Digest " + b64(f"{name}:{password}")),         # wrong scheme
                (base, "")]                                            # empty
    alice, bob, carol = (("Basic " + b64(f"{u}:pw-{u}")) for u in ("alice", "bob", "carol"))
    out += [
        ("/user/", alice), ("/user/", bob), ("/user/", "Basic " + b64("bob:pw-alice")),
        ("/user/", "Basic " + b64("nobody:x")), ("/user/", None),
        ("/group/", alice), ("/group/", carol), ("/group/", None),
        ("/expr/", carol), ("/expr/", bob), ("/expr/", None),
        ("/allowdeny/", None), ("/denyallow/", None), ("/mutual/", None),
        ("/envdeny/", None),
        ("/anyhost/", None), ("/anyhost/", "Basic " + b64("carol:bad")),
        ("/anyuser/", None), ("/anyuser/", carol), ("/anyuser/", bob),
        ("/all/", None), ("/all/", carol), ("/all/", alice),
        ("/alldenied/", carol), ("/denycompat/", None),
        ("/fake/", None), ("/fake/", bob),
        ("/alias/", "Basic " + b64("zed:pw-zed")), ("/alias/", alice),
        ("/alias/", "Basic " + b64("alice:other-alice")), ("/alias/", bob),
        ("/digest/", "Basic " + b64("dig:pw-dig")), ("/digest/", "Basic " + b64("dig:no")),
        ("/notauthoritative/", "Basic " + b64("nobody:x")),
        ("/notauthoritative/", "Basic " + b64("alice:x")),
        ("/noname/", alice), ("/norequire/", alice), ("/notype/", None),
        ("/quoted/", None), ("/quoted/", "Basic  \t" + b64("carol:pw-carol")),
        ("/quoted/", "basic " + b64("carol:pw-carol") + "==junk"),
        ("/limit/", None), ("POST /limit/", None), ("POST /limit/", carol),
    ]
    return out


def raw(target: str, auth) -> str:
    method, _, path = target.rpartition(" ")
    field = "" if auth is None else f"Authorization: {auth}\r\n"
    length = "Content-Length: 0\r\n" if method == "POST" else ""
    return (f"{method or 'GET'} {path} HTTP/1.1\r\nHost: localhost\r\n{field}{length}"
            "Connection: close\r\n\r\n")


def test_auth_answers_as_apache(tmp_path):
    body, reqs = make_tree(tmp_path / "tree")
    assert len(reqs) >= 40
    ours, theirs = S.start_pair(tmp_path, body, modules=MODULES)
    try:
        differ = []
        for target, auth in reqs:
            a = S.answer(ours, raw(target, auth))
            b = S.answer(theirs, raw(target, auth))
            pick = (lambda x: (x[0], x[1].get("www-authenticate"), x[1].get("x-auth"),
                               x[1].get("x-user"), x[2]))
            if pick(a) != pick(b):
                differ.append(f"{target} {auth!r}: ours {pick(a)} apache {pick(b)}")
    finally:
        S.stop_pair((ours, theirs))
    assert not differ, "\n".join(differ)
    logs = [(s.root / "logs" / "access_log").read_text().splitlines() for s in (ours, theirs)]
    assert len(logs[0]) == len(reqs)
    assert logs[0] == logs[1]
