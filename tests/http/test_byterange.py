"""Range requests against apache2 (byterange_filter.c): single, suffix, multipart,
merging, the MaxRanges/MaxRangeOverlaps/MaxRangeReversals limits, invalid and
unsatisfiable specs; and the parser pinned on its own."""
from __future__ import annotations

import pytest

from httpd.http import byterange as B
from httpd.request.record import FileRange, Part
from tests.e2e import static as harness
from tests.e2e.static import req


def ranges(path: str, spec: str, *fields: str, method: str = "GET") -> bytes:
    return req(method, path, *fields, f"Range: {spec}")


def many(n: int, f) -> str:
    return "bytes=" + ",".join(f(i) for i in range(n))


SPECS = [
    "bytes=0-3", "bytes=-3", "bytes=5-", "bytes=0-", "bytes=0-,5-7", "bytes=5-7,0-",
    "bytes=0-3,5-7", "bytes=0-3,2-7", "bytes=0-3,4-7", "bytes=5-7,0-3", "bytes=5-7,1-5",
    "bytes=5-7,0-4", "bytes=11-", "bytes=-20", "bytes=0-100", "bytes=0-1,50-60",
    "bytes=0-11,0-11", "bytes=0-5,6-11", "bytes=0-0,2-2,4-4,6-6", "bytes=0-1,,3-4",
    "bytes=0-1,", "bytes=00-01", "bytes=0-1, 3-4", "BYTES=0-1", "Bytes=0-1",
    # ignored: the whole field, for one bad range
    "bytes=-0", "bytes=9-0", "items=0-1", "bytes=0-1 ", "bytes= 0-1", "bytes=,0-1",
    "bytes=x-1", "bytes=1-x", "bytes=1", "bytes=+1-2", "bytes=-1-2", "bytes=0- 1",
    "bytes=0-+1", "bytes=-+3", "bytes=- 3", "bytes =0-1", "bytes=0-1 ,3-4",
    "bytes=0-99999999999999999999", "bytes=99999999999999999999-",
    "bytes=0-10,5-0",
    # unsatisfiable
    "bytes=50-60", "bytes=12-", "bytes=50-60,70-80", "bytes=9223372036854775807-",
]


@pytest.mark.parametrize("spec", SPECS)
def test_same_as_apache(pair, spec):
    pair.same(ranges("/a.txt", spec))


@pytest.mark.parametrize("raw", [
    ranges("/a.txt", "bytes=0-1,3-4", method="HEAD"),
    ranges("/a.txt", "bytes=0-1", method="HEAD"),
    ranges("/a.txt", "bytes=50-60", method="HEAD"),
    req("GET", "/a.txt", "Range: bytes=0-1", proto="HTTP/1.0"),
    ranges("/empty.txt", "bytes=0-1"),
    ranges("/noext", "bytes=0-1,3-4"),             # parts without a Content-type line
    ranges("/charset/a.txt", "bytes=0-1,3-4"),     # the part type carries the charset
    ranges("/a.txt", "bytes=0-1,3-4", "Request-Range: bytes=0-1"),
    req("GET", "/a.txt", "Request-Range: bytes=0-1,3-4"),   # 2.4.71 ignores it
    ranges("/a.txt", "bytes=0-1,3-4", "User-Agent: Mozilla/2.0 (compatible; MSIE 3.02)"),
    req("GET", "/a.txt", "Range: bytes=0-1", "Range: bytes=3-4"),   # merged: invalid
    ranges("/big.bin", many(32, lambda i: f"{i * 10}-{i * 10 + 1}")),
    ranges("/big.bin", many(33, lambda i: f"{i * 10}-{i * 10 + 1}")),   # chunked
    ranges("/big.bin", many(40, lambda i: f"{i * 10}-{i * 10 + 1}"), method="HEAD"),
    req("GET", "/big.bin", "Range: " + many(40, lambda i: f"{i * 10}-{i * 10 + 1}"),
        proto="HTTP/1.0"),
    ranges("/big.bin", many(200, lambda i: f"{i * 10}-{i * 10 + 1}")),
    ranges("/big.bin", many(201, lambda i: f"{i * 10}-{i * 10 + 1}")),  # > MaxRanges
    ranges("/big.bin", many(21, lambda i: f"0-{1000 + i}")),            # 20 overlaps
    ranges("/big.bin", many(22, lambda i: f"0-{1000 + i}")),            # 21: ignored
    ranges("/big.bin", many(21, lambda i: f"{5000 - 10 * i}-{5009 - 10 * i}")),
    ranges("/big.bin", many(22, lambda i: f"{5000 - 10 * i}-{5009 - 10 * i}")),
    ranges("/big.bin", many(50, lambda i: f"{9000 - 100 * i}-{9010 - 100 * i}")),
    ranges("/big.bin", "bytes=0-,5-0," + ",".join(f"5-{i}" for i in range(1, 300))),
    ranges("/ranges-2/big.bin", "bytes=0-1,5-6"),
    ranges("/ranges-2/big.bin", "bytes=0-1,5-6,10-11"),
    ranges("/ranges-none/big.bin", "bytes=0-1"),                        # Accept-Ranges: none
    ranges("/ranges-unlimited/big.bin", many(250, lambda i: f"{i * 10}-{i * 10 + 1}")),
    ranges("/ranges-unlimited/big.bin", many(30, lambda i: f"0-{1000 + i}")),
    ranges("/overlaps-3/big.bin", "bytes=0-10,0-11,0-12,0-13"),
    ranges("/overlaps-3/big.bin", "bytes=0-10,0-11,0-12,0-13,0-14"),
    ranges("/overlaps-3/big.bin", "bytes=100-110,90-100,80-90"),
    ranges("/overlaps-3/big.bin", "bytes=100-110,90-100,80-90,70-80"),
], ids=lambda b: b.split(b"\r\n")[0].decode() + " " + str(len(b)))
def test_more_same_as_apache(pair, raw):
    pair.same(raw)


def test_unsatisfiable_is_416_with_content_range(pair):
    ours, r = pair.serve(ranges("/a.txt", "bytes=50-60"))
    assert ours.status == pair.theirs(ranges("/a.txt", "bytes=50-60")).status == 416
    assert r.err_headers_out.get("Content-Range") == "bytes */12"


# -- the parser alone ------------------------------------------------------------------------

@pytest.mark.parametrize("spec,clength,expected", [
    ("0-3", 12, (1, [(0, 3)], 0, 0)),
    ("-3", 12, (1, [(9, 11)], 0, 0)),
    ("-20", 12, (1, [(0, 11)], 0, 0)),
    ("5-", 12, (1, [(5, 11)], 0, 0)),
    ("0-", 12, (1, [(0, 11)], 0, 0)),
    ("3-4,0-", 12, (1, [(0, 11)], 0, 0)),       # "0-" wins, whatever came before
    ("0-3,2-7", 12, (1, [(0, 7)], 1, 0)),
    ("0-3,4-7", 12, (1, [(0, 7)], 1, 0)),       # adjacent ranges merge
    ("5-7,0-4", 12, (1, [(0, 7)], 1, 1)),       # before and touching: a reversal
    ("5-7,0-3", 12, (2, [(5, 7), (0, 3)], 0, 0)),
    ("0-1,50-60", 12, (1, [(0, 1)], 0, 0)),
    ("50-60", 12, (-1, [], 0, 0)),
    ("0-11,0-11", 12, (1, [(0, 11)], 1, 0)),
    ("9-0", 12, (0, [], 0, 0)),
    ("-0", 12, (0, [], 0, 0)),
    ("", 12, (0, [], 0, 0)),
    ("0-5,3-8,7-11,0-11", 12, (1, [(0, 11)], 3, 0)),
])
def test_parse_ranges(spec, clength, expected):
    assert B.parse_ranges(spec, clength) == expected


def test_multipart_body_is_file_ranges(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc,
                              ranges("/big.bin", "bytes=0-1,100-199"))
    from httpd.core.handler import default_handler
    assert default_handler(r) == 0
    assert isinstance(r.body, list) and all(isinstance(p, Part) for p in r.body)
    assert r.body[1].body == FileRange(r.filename, 100, 100)
    assert r.body[-1].body == b"" and r.body[-1].header.endswith(b"--\r\n")
    b = B.multipart_boundary(r.process)
    assert r.content_type == f"multipart/byteranges; boundary={b}"
    assert B.multipart_boundary(r.process) == b            # one per generation
    assert int(b, 16) < 1 << 64


def test_bytes_bodies_slice(ours_only):
    r = harness.build_request(ours_only.process, ours_only.doc,
                              ranges("/a.txt", "bytes=-3"))
    assert B.apply_byterange(r, b"0123456789") == B.OK
    assert r.status == 206 and r.body == b"789"
    assert r.headers_out.get("Content-Range") == "bytes 7-9/10"


# -- a 416 starts the response over (send_416's error bucket, then ap_die) ------------------

def _filtered(tmp_path, extra: str):
    from httpd.http import filter as F
    from httpd.http.request import final_request, process_request
    from tests.directives import harness
    (tmp_path / "e").mkdir()
    for d in (tmp_path, tmp_path / "e"):
        (d / "doc.html.en").write_text("english " * 50)
        (d / "err.html").write_text("<p>the error document</p>\n")
    p = harness.load(tmp_path, "LoadModule negotiation_module modules/mod_negotiation.so\n"
                     "LoadModule deflate_module modules/mod_deflate.so\n"
                     f"DocumentRoot {tmp_path}\nAddLanguage en .en\nAddType text/html .html\n<Directory {tmp_path}>\n"
                     "Require all granted\nOptions MultiViews\nSetOutputFilter DEFLATE\n"
                     f"</Directory>\n<Directory {tmp_path}/e>\nErrorDocument 416 /e/err.html\n"
                     f"</Directory>\n{extra}")

    def serve(uri):
        r = harness.request(p, uri, [("Range", "bytes=9000-"), ("Accept-Encoding", "gzip")])
        process_request(r)
        r = final_request(r)
        if r.filters:                  # what the response writer does
            F.run(r)
        return final_request(r)
    return serve


def test_416_sends_no_field_set_before_it(tmp_path):
    """Apache 2.4.71: mod_negotiation's Vary, TCN and Content-Location (err_headers_out,
    set at type_checker time) are not on the 416; a handler's 404 keeps them."""
    r = _filtered(tmp_path, "")("/doc")
    assert r.status == 416
    # ap_send_error_response made err_headers_out the table sent
    assert [k for k, _ in r.headers_out.items()] == ["Content-Range"]
    assert not r.err_headers_out.items()
    assert b"Requested Range Not Satisfiable" in r.body


def test_416_of_filtered_output_serves_its_error_document(tmp_path):
    """The 416 of a filtered body goes through ap_die as the handler's would: a local
    ErrorDocument is an internal redirect (its page, status 416, not compressed)."""
    r = _filtered(tmp_path, "")("/e/doc")
    assert r.status == 416 and r.prev is not None and r.uri == "/e/err.html"
    assert r.body.path.endswith("err.html") if hasattr(r.body, "path") else \
        r.body == b"<p>the error document</p>\n"
    assert r.headers_out.get("Content-Encoding") is None
