"""mod_authz_core and mod_authz_host at request time: domains, expressions, host and
forward DNS, provider aliases, env and local providers."""
from __future__ import annotations

import pytest
import structlog

from directives.mod_authz_host import in_domain

from tests.request.pipeline import FILES, OPEN


class TestAuthz:
    def test_in_domain(self):
        assert in_domain("example.com", "www.example.com")
        assert in_domain(".example.com", "www.example.com")
        assert in_domain("example.com", "EXAMPLE.com")
        assert not in_domain("example.com", "badexample.com")
        assert not in_domain("www.example.com", "example.com")

    @pytest.fixture
    def srv(self, server):
        return server(OPEN + """<AuthzProviderAlias ip lan 10.0.0.0/8>
</AuthzProviderAlias>
<AuthzProviderAlias ip loop 127.0.0.1>
</AuthzProviderAlias>
<Location /ex>
Require expr %{REMOTE_USER} == "bob"
</Location>
<Location /h>
Require host localhost
</Location>
<Location /fd>
Require forward-dns localhost
</Location>
<Location /lan>
Require lan
</Location>
<Location /loop>
Require loop
</Location>
<Location /env>
Require env HTTP_ALLOWED
</Location>
<Location /notlocal>
<RequireAll>
Require all granted
Require not local
</RequireAll>
</Location>
""", FILES)

    def test_expr_needing_a_user_asks_authentication(self, srv):
        with structlog.testing.capture_logs() as logs:
            r = srv.get("/ex/a.txt")
        assert r.status == 500          # apache2: nothing to authenticate with
        assert logs[-1]["event"] == ("AH00025: configuration error:  couldn't check user: "
                                     "/ex/a.txt")

    def test_host_and_forward_dns(self, srv):
        assert srv.get("/h/a.txt").status == 404       # granted, then not found: as apache2
        assert srv.get("/fd/a.txt").status == 404
        assert srv.get("/h/a.txt", client_ip="192.0.2.1").status == 403

    def test_provider_alias(self, srv):
        assert srv.get("/lan/a.txt").status == 403
        assert srv.get("/loop/a.txt").status == 404

    def test_env_is_looked_up_without_case(self, srv):
        r = srv.get("/a.txt")
        from directives.mod_authz_core.runtime import env_check
        r.subprocess_env["http_allowed"] = "1"
        assert env_check(r, "HTTP_ALLOWED", None) == 1

    def test_local(self, srv):
        assert srv.get("/notlocal/a.txt").status == 403
        assert srv.get("/notlocal/a.txt", client_ip="192.0.2.7",
                       local_ip="192.0.2.1").status == 404
        assert srv.get("/notlocal/a.txt", client_ip="192.0.2.1",
                       local_ip="192.0.2.1").status == 403
        assert srv.get("/notlocal/a.txt", client_ip="::1").status == 403
