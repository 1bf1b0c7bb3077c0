"""mod_logio: LogIOTrackTTFB and its per-directory merge."""
from __future__ import annotations

from directives import mod_log_config as lc
from directives import mod_logio

MODS = [lc.MODULE, mod_logio.MODULE]


class TestLogio:
    def test_track_ttfb(self, conf):
        r = conf(MODS, "LogIOTrackTTFB on\n")
        assert r.dir_config("logio_module").track_ttfb is True
        r = conf(MODS, "LogIOTrackTTFB x\n")
        assert r.error.endswith("\nLogIOTrackTTFB must be On or Off")

    def test_merge_keeps_apache_quirk(self):
        on, off = mod_logio.LogioDirConfig(True), mod_logio.LogioDirConfig(False)
        assert mod_logio.merge_dir_config(on, off).track_ttfb is True
        assert mod_logio.merge_dir_config(mod_logio.LogioDirConfig(), on).track_ttfb is True


def test_items_need_the_module():
    handlers = {**lc.LOG_HANDLERS, **mod_logio.LOG_HANDLERS}
    assert lc.parse_log_string("%I %O %S %^FB", handlers)[1] is None
    assert lc.parse_log_string("%S", lc.LOG_HANDLERS)[1] == "Unrecognized LogFormat directive %S"
