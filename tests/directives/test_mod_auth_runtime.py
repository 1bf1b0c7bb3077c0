"""The authentication modules at request time, through the whole pipeline without
sockets (tests/request/pipeline.py): Basic credentials, the hash formats, the 401
challenge, r.user and REMOTE_USER, groups, provider aliases, AuthBasicFake, Order/
Allow/Deny and Satisfy, and the password file read again when it changes.  Apache's
own answers to the same requests are in tests/e2e/test_auth_differential.py."""
from __future__ import annotations

import base64
import os

import pytest
import structlog

from tests.request.pipeline import FILES, OPEN

MODULES = ("authz_core", "authz_host", "mime", "dir", "alias", "headers", "authn_core",
           "auth_basic", "authn_file", "authz_user", "authz_groupfile", "access_compat")
PREFIX = ("LoadModule mpm_prefork_module modules/mod_mpm_prefork.so\n"
          + "".join(f"LoadModule {m}_module modules/mod_{m}.so\n" for m in MODULES)
          + "ServerName localhost\nErrorLog error.log\nTypesConfig mime.types\n")
SHA = "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="                 # "secret"
APR1 = "$apr1$fZoJc4II$unWRCEboQpRiFUGXxjEjK1"
BCRYPT = "$2y$05$Og2lTXA3gLSxphjP7delfeqDpSjW1sEj3tD5q0Dr6X5QqRD7EKjK6"
DES = "JQJ5fEUANdp.I"
PASSWORDS = f"sha:{SHA}\napr:{APR1}\nbc:{BCRYPT}\ndes:{DES}\nplain:secret\n# x\n\n"
AUTH = "AuthType Basic\nAuthUserFile $ROOT/pw\n"
BODY = OPEN + f"""<AuthnProviderAlias file other>
AuthUserFile $ROOT/pw2
</AuthnProviderAlias>
<Location /v>
{AUTH}AuthName "valid \\"users\\""
Require valid-user
</Location>
<Location /u>
{AUTH}AuthName u
Require user apr des
</Location>
<Location /g>
{AUTH}AuthName g
AuthGroupFile $ROOT/groups
Require group staff
</Location>
<Location /x>
{AUTH}AuthName x
Require expr %{{REMOTE_USER}} == 'bc'
</Location>
<Location /alias>
AuthType Basic
AuthName alias
AuthBasicProvider other file
AuthUserFile $ROOT/pw
Require valid-user
</Location>
<Location /fake>
{AUTH}AuthName fake
AuthBasicFake "%{{REQUEST_METHOD}}" pw
Require valid-user
</Location>
<Location /any>
{AUTH}AuthName any
Order deny,allow
Deny from all
Allow from 10.0.0.0/8
Require valid-user
Satisfy Any
</Location>
<Location /all>
{AUTH}AuthName all
Order allow,deny
Allow from 10.0.0.0/8
Require valid-user
</Location>
"""


def logged(call):
    """(what ``call()`` returns, the error-log events it wrote)."""
    with structlog.testing.capture_logs() as logs:
        result = call()
    return result, " | ".join(str(e.get("event")) for e in logs)


def challenge(r):
    """WWW-Authenticate as sent: an error response's fields are err_headers_out's."""
    return r.headers_out.get("WWW-Authenticate")


def basic(text: str) -> tuple:
    return (("Authorization", "Basic " + base64.b64encode(text.encode()).decode()),)


@pytest.fixture
def srv(server, tmp_path):
    (tmp_path / "pw").write_text(PASSWORDS)
    (tmp_path / "pw2").write_text(f"zed:{SHA}\nsha:{{SHA}}0JQeaNqPOBUf+Gph/Fn3xc+fyqI=\n")  # "other"
    (tmp_path / "groups").write_text("staff: apr  bc\nadmins: des\n")
    files = dict(FILES)
    for d in ("v", "u", "g", "x", "alias", "fake", "any", "all"):
        files[f"htdocs/{d}/a.txt"] = d
    return server(BODY, files, prefix=PREFIX)


@pytest.mark.parametrize("user", ["sha", "apr", "bc", "des"])
def test_each_hash_format(srv, user):
    r = srv.get("/v/a.txt", headers=basic(f"{user}:secret"))
    assert (r.status, r.user, r.ap_auth_type) == (200, user, "Basic")
    r, log = logged(lambda: srv.get("/v/a.txt", headers=basic(f"{user}:Secret")))
    assert r.status == 401 and r.user == user        # the user is known, even refused
    assert challenge(r) == 'Basic realm="valid \\"users\\""'
    assert (f'AH01617: user {user}: authentication failure for "/v/a.txt": Password '
            "Mismatch") in log


def test_plain_text_and_unknown_users(srv):
    assert srv.get("/v/a.txt", headers=basic("plain:secret")).status == 401
    r, log = logged(lambda: srv.get("/v/a.txt", headers=basic("nobody:secret")))
    assert r.status == 401 and "AH01618: user nobody not found: /v/a.txt" in log


@pytest.mark.parametrize("field,user", [
    (None, None),
    ("Digest abc", None),                  # AH01614
    ("Basic", ""),
    ("Basic !!!", ""),
    ("Basic " + base64.b64encode(b"shasecret").decode(), "shasecret"),   # no colon
])
def test_missing_and_malformed(srv, field, user):
    r = srv.get("/v/a.txt", headers=() if field is None else (("Authorization", field),))
    assert (r.status, r.user) == (401, user)
    assert challenge(r).startswith("Basic realm=")


def test_require_user_group_and_expr(srv):
    assert srv.get("/u/a.txt", headers=basic("des:secret")).status == 200
    r, log = logged(lambda: srv.get("/u/a.txt", headers=basic("sha:secret")))
    assert r.status == 401 and 'AH01631: user sha: authorization failure for "/u/a.txt": ' \
        in log
    assert srv.get("/g/a.txt", headers=basic("bc:secret")).status == 200
    assert srv.get("/g/a.txt", headers=basic("des:secret")).status == 401
    assert srv.get("/x/a.txt", headers=basic("bc:secret")).status == 200
    assert srv.get("/x/a.txt", headers=basic("sha:secret")).status == 401


def test_provider_alias_first_then_file(srv):
    assert srv.get("/alias/a.txt", headers=basic("zed:secret")).status == 200
    assert srv.get("/alias/a.txt", headers=basic("sha:secret")).status == 401   # other's
    assert srv.get("/alias/a.txt", headers=basic("bc:secret")).status == 200    # file's


def test_basic_fake_rewrites_the_field_after_authentication(srv):
    r = srv.get("/fake/a.txt", headers=basic("bc:secret"))
    assert r.status == 200
    assert r.headers_in.get("Authorization") == "Basic " + base64.b64encode(
        b"GET:pw").decode()


def test_satisfy_any_and_all(srv):
    assert srv.get("/any/a.txt", client_ip="10.1.2.3").status == 200     # no password
    assert srv.get("/any/a.txt").status == 401
    assert srv.get("/any/a.txt", headers=basic("bc:secret")).status == 200
    r, log = logged(lambda: srv.get("/all/a.txt", headers=basic("bc:secret")))
    assert r.status == 403 and "AH01797: client denied by server configuration:" in log
    assert srv.get("/all/a.txt", headers=basic("bc:secret"),
                   client_ip="10.0.0.1").status == 200


def test_password_file_is_read_again_when_it_changes(srv, tmp_path):
    assert srv.get("/v/a.txt", headers=basic("new:secret")).status == 401
    pw = tmp_path / "pw"
    pw.write_text(PASSWORDS + f"new:{SHA}\n")
    st = pw.stat()
    os.utime(pw, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert srv.get("/v/a.txt", headers=basic("new:secret")).status == 200
