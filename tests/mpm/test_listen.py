"""Listen and the other LISTEN_COMMANDS, with the messages real Apache 2.4.71 gives
(checked with `apache2 -t` on a worker config holding the directive)."""
import socket

import pytest

from mpms import event, prefork, worker
from httpd.mpm.listen import ListenRec

MPMS = [prefork.MODULE, worker.MODULE, event.MODULE]


@pytest.mark.parametrize("mod", MPMS, ids=lambda m: m.source)
class TestListenMessages:
    @pytest.mark.parametrize("text,msg,line", [
        ("Listen", "Listen requires 1 or 2 arguments.", 1),
        ('Listen ""', "Listen requires 1 or 2 arguments.", 1),
        ("Listen 80 http extra", "Listen requires 1 or 2 arguments.", 1),
        ("Listen 0", "Invalid address or port", 1),
        ("Listen 65536", "Invalid address or port", 1),
        ("Listen :80", "Invalid address or port", 1),
        ("Listen [zzz]:80", "Invalid address or port", 1),
        ("Listen abc", "Port must be specified", 1),
        ("Listen 127.0.0.1", "Port must be specified", 1),
        ("Listen [::1]", "Port must be specified", 1),
        ("Listen 127.0.0.1:80x", "Port must be specified", 1),
        ('Listen " 80"', "Port must be specified", 1),
        ("Listen 127.0.0.1:18080\nListen 127.0.0.1:18080",
         "Cannot define multiple Listeners on the same IP:port", 2),
        ("Listen 8080\nListen *:8080", "Cannot define multiple Listeners on the same IP:port", 2),
        ("Listen [::1]:8080\nListen [::1]:8080",
         "Cannot define multiple Listeners on the same IP:port", 2),
        ("Listen 1.2.3.4:80\nListen 1.2.3.4:80 https",
         "Cannot define multiple Listeners on the same IP:port", 2),
        ("Listen [fe80::1]:80\nListen fe80::1:80",
         "Cannot define multiple Listeners on the same IP:port", 2),
        ("ListenBacklog 0", "ListenBacklog must be > 0", 1),
        ("ListenBacklog abc", "ListenBacklog must be > 0", 1),
        ("ListenBacklog 5\nListenBacklog 0", "ListenBacklog must be > 0", 2),
        ("ListenCoresBucketsRatio 0", "ListenCoresBucketsRatio must be > 0", 1),
        ("ListenTCPDeferAccept 0", "ListenTCPDeferAccept must be > 0", 1),
        ("ListenTCPDeferAccept abc", "ListenTCPDeferAccept must be > 0", 1),
        ("SendBufferSize 511", "SendBufferSize must be >= 512 bytes, or 0 for system default.", 1),
        ("SendBufferSize -1", "SendBufferSize must be >= 512 bytes, or 0 for system default.", 1),
        ("ReceiveBufferSize 100",
         "ReceiveBufferSize must be >= 512 bytes, or 0 for system default.", 1),
        ("ListenBacklog", "ListenBacklog takes one argument, Maximum length of the queue of "
                          "pending connections, as used by listen(2)", 1),
    ])
    def test_error(self, walk, mod, text, msg, line):
        c = walk([mod], text)
        assert (c.error, c.line) == (msg, line)

    @pytest.mark.parametrize("text", [
        "Listen 65535", "Listen *:80", "Listen 8080\nListen 0.0.0.0:8080", "Listen [::1]:8080",
        "Listen 1.2.3.4:80", "Listen 127.0.0.1:08080", "Listen 8080 HTTPS", 'Listen 8080 ""',
        "Listen 1.2.3.4:80\nListen 1.2.3.4:81", "Listen [::]:80\nListen [0::0]:80",
        "Listen [::ffff:127.0.0.1]:80", "Listen localhost:8080\nListen Localhost:8080",
        "ListenBacklog 10x", "ListenCoresBucketsRatio 2", "SendBufferSize 0",
        "SendBufferSize 512", "ReceiveBufferSize abc", "ListenTCPDeferAccept 5",
        "GracefulShutdownTimeout abc", "GracefulShutdownTimeout -5",
    ])
    def test_accepted(self, walk, mod, text):
        assert walk([mod], text).error is None

    @pytest.mark.parametrize("section", ["<VirtualHost *:80>"])
    def test_not_in_virtualhost(self, make_process, invoke, mod, section):
        p = make_process([mod])
        for name in ("Listen", "ListenBacklog 5", "SendBufferSize 512",
                     "GracefulShutdownTimeout 3", "ListenTCPDeferAccept 0"):
            word = name.split()[0]
            assert invoke(p, section, name) == f"{word} cannot occur within <VirtualHost> section"

    def test_not_in_directory(self, make_process, invoke, mod):
        p = make_process([mod])
        assert invoke(p, "<Directory />", "Listen 80") == (
            "Listen not allowed in <Directory> context")
        assert invoke(p, "<Location />", "Listen 80") == "Listen not allowed in <Location> context"


class TestListenRecords:
    """Parsed listeners land on the generation's MPM config, then in its settings."""

    def test_records_in_order(self, walk):
        c = walk([worker.MODULE], "Listen 127.0.0.1:18080\nListen [::1]:8443 HTTPS\n"
                                  "Listen 443\nListen *:81")
        recs = c.check().listen.listeners
        assert [(r.host, r.port, r.protocol) for r in recs] == [
            ("127.0.0.1", 18080, "http"), ("::1", 8443, "https"), (None, 443, "https"),
            (None, 81, "http")]
        assert recs[0].addrs == ((socket.AF_INET, ("127.0.0.1", 18080)),)
        assert recs[1].addrs[0][0] == socket.AF_INET6
        assert all(isinstance(r, ListenRec) for r in recs)

    def test_wildcard_resolves_to_every_interface(self, walk):
        rec = walk([prefork.MODULE], "Listen 18081").check().listen.listeners[0]
        assert ("0.0.0.0", 18081) in [sa[:2] for _f, sa in rec.addrs]

    def test_each_generation_is_fresh(self, walk, make_process):
        p = make_process([worker.MODULE])
        walk(None, "Listen 18080", process=p).check()
        again = walk(None, "Listen 18080", process=p)    # a restart reads it again
        assert again.error is None
        assert len(again.check().listen.listeners) == 1

    def test_listen_settings(self, walk):
        s = walk([event.MODULE], "ListenBacklog 10x\nListenCoresBucketsRatio 2\n"
                                 "SendBufferSize 4096\nReceiveBufferSize 8192\n"
                                 "ListenTCPDeferAccept 7\nGracefulShutdownTimeout 9").check()
        assert (s.listen.backlog, s.listen.cores_buckets_ratio, s.listen.send_buffer_size,
                s.listen.receive_buffer_size, s.listen.tcp_defer_accept) == (10, 2, 4096, 8192, 7)
        assert s.graceful_shutdown_timeout == 9

    def test_defaults(self, walk):
        s = walk([event.MODULE], "").check()
        assert (s.listen.backlog, s.listen.cores_buckets_ratio, s.listen.tcp_defer_accept,
                s.listen.send_buffer_size, s.listen.receive_buffer_size,
                s.graceful_shutdown_timeout) == (511, 0, 30, 0, 0, 0)


class TestListenResolution:
    """Names are resolved at config time, as alloc_listener does; a failure is logged
    at crit with the error-log prefix, then the walk fails."""

    def test_unknown_host(self, walk):
        c = walk([worker.MODULE], "Listen nosuchhost.invalid:80")
        assert c.error == "Listen setup failed"
        log = c.process.output[0]
        assert "] [core:crit] [pid " in log
        assert log.endswith("(EAI 2)Name or service not known: AH00077: alloc_listener: failed "
                            "to set up sockaddr for nosuchhost.invalid")

    def test_colon_host(self, walk):
        c = walk([worker.MODULE], "Listen ::1")
        assert c.error == "Listen setup failed"
        assert c.process.output[0].endswith("failed to set up sockaddr for :")

    def test_unknown_scope(self, walk):
        c = walk([worker.MODULE], "Listen [fe80::1%nosuchif]:80")
        assert c.error == "Listen step failed"
        assert c.process.output[0].endswith(
            "(20014)Internal error (specific information not available): AH10102: "
            "alloc_listener: failed to set scope for [fe80::1]:80 to nosuchif")

    def test_scope_needs_link_local(self, walk):
        c = walk([worker.MODULE], "Listen [::1%lo]:80")
        assert c.error == "Listen step failed"
        assert c.process.output[0].endswith(
            "(20016)The specified IP address is invalid.: AH10102: alloc_listener: failed to "
            "set scope for [::1]:80 to lo")

    def test_scope_numeric_range(self, walk):
        assert walk([worker.MODULE], "Listen [fe80::1%40000]:80").error == "Listen step failed"
        rec = walk([worker.MODULE], "Listen [fe80::1%7]:80").check().listen.listeners[0]
        assert rec.scope_id == "7" and rec.addrs[0][1][3] == 7

    def test_scope_is_part_of_the_address(self, walk):
        # lo always exists; the same address on two zones is two listeners
        ok = walk([worker.MODULE], "Listen [fe80::1%lo]:80\nListen [fe80::1%1]:80")
        assert ok.error is None
        dup = walk([worker.MODULE], "Listen [fe80::1%lo]:80\nListen [fe80::1%lo]:80")
        assert dup.error == "Cannot define multiple Listeners on the same IP:port"
