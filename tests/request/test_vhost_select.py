"""Virtual host selection (httpd/request/vhost.py): by local address, then by Host, and the Host
checks of fix_hostname (reliability.md 1.1's host-* cases)."""
from __future__ import annotations

import pytest

from httpd.request import vhost as vhost_select
from httpd.request.record import ConnInfo
from tests.request.pipeline import head_bytes, parse_request

VHOSTS = """DocumentRoot $ROOT
<Directory />
Require all granted
</Directory>
<VirtualHost *:80>
ServerName one.example
DocumentRoot $ROOT/v1
</VirtualHost>
<VirtualHost *:80>
ServerName two.example
ServerAlias www.two.example *.wild.example ?.q.example
DocumentRoot $ROOT/v2
</VirtualHost>
<VirtualHost 127.0.0.2:80>
ServerName ip.example
DocumentRoot $ROOT/v3
</VirtualHost>
<VirtualHost 127.0.0.2:80 127.0.0.3:80>
ServerName ip2.example
DocumentRoot $ROOT/v4
</VirtualHost>
<VirtualHost *:8080>
ServerName alt.example
ServerPath /alt/
DocumentRoot $ROOT/v5
</VirtualHost>
<VirtualHost *:8080>
ServerName alt2.example
DocumentRoot $ROOT/v6
</VirtualHost>
"""
FILES = {f"v{i}/who.txt": f"v{i}" for i in range(1, 7)}


@pytest.fixture
def vh(server):
    return server(VHOSTS, FILES)


def _root(r) -> str:
    return r.server.module_config["core_module"].ap_document_root.rsplit("/", 1)[-1]


def _pick(s, host, local="127.0.0.1", port=80, target="/who.txt", protocol="HTTP/1.1"):
    """(the request, its status so far) as the connection reads the head: the protocol
    layer checks the Host (fix_hostname, once), then the name picks the server."""
    conn = ConnInfo("127.0.0.1", 5000, local, port)
    r = parse_request(s.process, conn, head_bytes(target, host=host, protocol=protocol))
    return r, r.status


class TestByName:
    @pytest.mark.parametrize("host,want", [
        ("one.example", "v1"), ("ONE.Example.", "v1"), ("two.example", "v2"),
        ("www.two.example:99", "v2"), ("a.b.wild.example", "v2"), ("x.q.example", "v2"),
        ("xx.q.example", "v1"), ("nobody.example", "v1"), ("127.0.0.1", "v1"),
    ])
    def test_wildcard_chain(self, vh, host, want):
        r, status = _pick(vh, host)
        assert status == 200 and _root(r) == want

    def test_ip_chain_has_its_own_default(self, vh):
        assert _root(_pick(vh, "nobody", local="127.0.0.2")[0]) == "v3"
        assert _root(_pick(vh, "ip2.example", local="127.0.0.2")[0]) == "v4"
        assert _root(_pick(vh, "one.example", local="127.0.0.2")[0]) == "v3"
        assert _root(_pick(vh, "x", local="127.0.0.3")[0]) == "v4"

    def test_ipv4_mapped_address_is_the_ipv4_one(self, vh):
        assert _root(_pick(vh, "nobody", local="::ffff:127.0.0.2")[0]) == "v3"

    def test_port_chooses_the_chain(self, vh):
        assert _root(_pick(vh, "alt2.example", port=8080)[0]) == "v6"
        assert _root(_pick(vh, "one.example", port=8080)[0]) == "v5"
        r, _ = _pick(vh, "x", port=9999)
        assert r.server is vh.process.main_server

    def test_virthost_name_is_a_fallback(self, server):
        s = server("""DocumentRoot $ROOT
<VirtualHost 127.0.0.1:80>
ServerName a.example
DocumentRoot $ROOT/v1
</VirtualHost>
<VirtualHost localhost:80>
ServerName b.example
DocumentRoot $ROOT/v2
</VirtualHost>
""", FILES)
        assert _root(_pick(s, "localhost")[0]) == "v2"
        assert _root(_pick(s, "elsewhere")[0]) == "v1"

    def test_absolute_target_wins_over_host(self, vh):
        r, status = _pick(vh, "one.example", target="http://two.example:8000/who.txt")
        assert status == 200
        assert _root(r) == "v2" and r.headers_in.get("Host") == "two.example:8000"

    def test_serverpath_without_a_host(self, vh):
        r, _ = _pick(vh, None, port=8080, target="/alt/who.txt", protocol="HTTP/1.0")
        assert _root(r) == "v5"
        r, _ = _pick(vh, None, port=8080, target="/alternative", protocol="HTTP/1.0")
        assert _root(r) == "v5"            # no match: the chain's default all the same

    def test_whole_request(self, vh):
        r = vh.get("/who.txt", host="www.two.example")
        assert r.status == 200 and r.filename.endswith("/v2/who.txt")

    def test_lookups_are_remembered(self, vh):
        _pick(vh, "two.example")
        chain = vhost_select.lookup(vh.process).defaults[0]
        assert ("two.example", 80) in chain.cache


class TestHostChecks:
    @pytest.mark.parametrize("host,status", [
        ("localhost", 200), ("my_host", 200), ("localhost.", 200), ("[::1]:18080", 200),
        ("[::1", 400), ("local host", 400), ("localhost/evil", 400), ("../../etc", 400),
        ("localhost:abc", 400), ("a,b", 400), ("user@localhost", 400), ("a..b", 400),
        ("a\\b", 400), ("", 400), ("[fe80::1%eth0]", 400), ("1234", 400), ("1.2.3", 400),
        ("1.2.3.4", 200), ("01.2.3.4", 400), ("host.123", 400), ("x:0", 400),
        ("localhost:99999", 400),
    ])
    def test_strict_host(self, server, host, status):
        s = server("DocumentRoot $ROOT\n")
        assert _pick(s, host)[1] == status

    def test_unsafe_mode_allows_odd_names(self, server):
        s = server("DocumentRoot $ROOT\nHttpProtocolOptions Unsafe\n")
        assert _pick(s, "1234")[1] == 200
        assert _pick(s, "a,b")[1] == 200
        assert _pick(s, "a/b")[1] == 400

    @pytest.mark.parametrize("host,hostname", [("host:", "host:"),
                                               ("\xc9xample.COM", "\xc9xample.com")])
    def test_unsafe_host_names_as_apache_keeps_them(self, server, host, hostname):
        """apache2 2.4 under Unsafe answers 200 to ``Host: host:`` (APR keeps the colon in
        the host) and lower-cases ASCII only (apr_tolower): the name vhost.c's
        fix_hostname gives is the request's.  (Checking the Host twice, once more with
        its own rules, answered 400 and lower-cased the \xc9.)"""
        s = server("DocumentRoot $ROOT\nHttpProtocolOptions Unsafe\n")
        r, status = _pick(s, host)
        assert status == 200 and r.hostname == hostname

    def test_strict_host_check_refuses_unknown_names(self, server):
        s = server(VHOSTS.replace("DocumentRoot $ROOT\n", "DocumentRoot $ROOT\n"), FILES)
        r, status = _pick(s, "nobody.example")
        assert status == 200
        assert vhost_select.update_vhost_from_headers(r, require_match=True) == 400
        r, _ = _pick(s, "two.example")
        assert vhost_select.update_vhost_from_headers(r, require_match=True) == 200

    def test_host_is_normalised(self, server):
        s = server("DocumentRoot $ROOT\n")
        r, _ = _pick(s, "WWW.Example.COM.:8080")
        assert r.hostname == "www.example.com"
        r, _ = _pick(s, "[::A]:1")
        assert r.hostname == "::a"


def test_host_name_copied_by_the_protocol_layer_is_not_an_absolute_target(server):
    """The protocol layer may set r.hostname from the Host field: the field (and its
    port) must stay as it is."""
    s = server("DocumentRoot $ROOT\n")
    r, status = _pick(s, "Example.com:8080", target="/")
    assert status == 200
    assert r.headers_in.get("Host") == "Example.com:8080" and r.hostname == "example.com"
