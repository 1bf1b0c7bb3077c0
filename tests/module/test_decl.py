"""Module declarations: the contexts (req_override) and arities modules declare for their
directives, where Apache's differ from the defaults."""
from __future__ import annotations

from directives import mod_autoindex, mod_env, mod_headers, mod_setenvif
from httpd.module import OR_ALL, OR_FILEINFO, OR_INDEXES, Args


class TestTables:
    def test_overrides(self):
        for d in mod_autoindex.MODULE.directives:
            want = OR_ALL if d.name == "FancyIndexing" else OR_INDEXES
            assert d.req_override == want, d.name
        for m in (mod_headers.MODULE, mod_env.MODULE, mod_setenvif.MODULE):
            assert all(d.req_override == OR_FILEINFO for d in m.directives)
        assert mod_env.MODULE.find("SetEnv").args is Args.TAKE12
        assert mod_headers.MODULE.find("Header").args is Args.RAW_ARGS
