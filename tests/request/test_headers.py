"""Headers (apr_table_t) against a plain reference model, on random operations."""
from hypothesis import given, settings
from hypothesis import strategies as st

from httpd.request.record import Headers

NAMES = st.sampled_from(["Host", "host", "HOST", "Vary", "vary", "X-A", "x-a", "Accept"])
VALUES = st.sampled_from(["1", "2", "a b", ""])
OPS = st.lists(st.tuples(st.sampled_from(["set", "add", "merge", "merge_first", "unset"]),
                         NAMES, VALUES), max_size=30)


class Model:
    def __init__(self):
        self.items = []

    def get(self, n):
        for k, v in self.items:
            if k.lower() == n.lower():
                return v
        return None

    def set(self, n, v):
        out, done = [], False
        for k, x in self.items:
            if k.lower() == n.lower():
                if not done:
                    out.append((n, v))
                    done = True
            else:
                out.append((k, x))
        if not done:
            out.append((n, v))
        self.items = out

    def add(self, n, v):
        self.items.append((n, v))

    def merge(self, n, v):
        old = self.get(n)
        self.set(n, v if old is None else f"{old}, {v}")

    def merge_first(self, n, v):
        for i, (k, x) in enumerate(self.items):
            if k.lower() == n.lower():
                self.items[i] = (k, f"{x}, {v}")
                return
        self.items.append((n, v))

    def unset(self, n, v=None):
        self.items = [(k, x) for k, x in self.items if k.lower() != n.lower()]


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_headers_behave_like_apr_tables(ops):
    h, m = Headers(), Model()
    for op, name, value in ops:
        if op == "unset":
            h.unset(name)
            m.unset(name)
        else:
            getattr(h, op)(name, value)
            getattr(m, op)(name, value)
        assert h.items() == m.items
        for n in ("host", "vary", "x-a", "accept"):
            assert h.get(n) == m.get(n)
            assert (n in h) == (m.get(n) is not None)
            assert h.get_all(n) == [v for k, v in m.items if k.lower() == n]
    assert h.copy().items() == m.items
