"""The request record's fast constructor (httpd/request/record.py new_request)."""
import attrs

from httpd.request.record import ConnInfo, Headers, Request, new_request


def _value(v):
    return (v._items, v._keys) if isinstance(v, Headers) else v


def test_new_request_is_the_attrs_constructor():
    conn = ConnInfo("127.0.0.1", 1, "127.0.0.1", 80)
    h = Headers([("Host", "x")])
    slow = Request(conn=conn, server="s", process="p", request_time=5.0,
                   per_dir_config={"m": 1}, headers_in=h)
    fast = new_request(conn, "s", "p", 5.0, {"m": 1}, h)
    for f in attrs.fields(Request):
        a, b = _value(getattr(slow, f.name)), _value(getattr(fast, f.name))
        assert a == b and type(a) is type(b), f.name
    # every mutable default is its own object
    other = new_request(conn, "s", "p", 5.0, {}, h)
    for name in ("headers_out", "err_headers_out", "notes", "subprocess_env",
                 "request_config", "content_languages", "allowed_xmethods"):
        assert getattr(fast, name) is not getattr(other, name)
    assert fast.headers_out is not fast.err_headers_out
    assert fast.headers_in is h


def test_request_maker_tables_take_the_lists():
    """A ``tables`` field is a Headers holding the given (items, keys) lists themselves,
    as Headers.taking makes it; the other fields are the constructor's."""
    from httpd.request.record import request_maker
    make = request_maker(("conn", "pair"), {"method": "'HEAD'", "server": "None",
                                            "process": "None"}, {"headers_in": "pair"})
    conn = ConnInfo("127.0.0.1", 1, "127.0.0.1", 80)
    items, keys = [("Host", "x")], ["host"]
    r = make(conn, (items, keys))
    assert r.headers_in._items is items and r.headers_in._keys is keys
    assert r.headers_in.get("HOST") == "x" and r.method == "HEAD"
    slow = Request(conn=conn, server=None, process=None, method="HEAD",
                   headers_in=Headers.taking(items, keys))
    for f in attrs.fields(Request):
        a, b = _value(getattr(slow, f.name)), _value(getattr(r, f.name))
        assert a == b and type(a) is type(b), f.name
