"""Record the canned error pages: ``python -m tests.conformance.request.record_canned``.

One apache2 -X (prefork, mod_alias; 127.0.0.1 on a free port, stopped by its pid) on
canned.py's config: ``Redirect NNN /sNNN`` for every status of the corpus,
ServerSignature On, no ServerAdmin.  Each ``GET /sNNN`` (Host: localhost, Connection:
close) is stored as the raw answer, head and page, in apache_canned_errors.json.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conformance import apache
from tests.conformance.request import canned


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = apache.free_port()
        conf = (apache.load_modules("mpm_prefork", "authz_core", "alias")
                + f"ServerRoot {root}\nListen 127.0.0.1:{port}\nServerName localhost\n"
                f"PidFile {root}/logs/httpd.pid\nErrorLog {root}/logs/error_log\n"
                "<Directory />\nRequire all granted\n</Directory>\n"
                + canned.BODY.replace("$ROOT", str(root)))
        with apache.Apache.foreground(root, conf, port) as ap:
            out = {code: ap.get(f"/s{code}").decode("latin-1") for code in canned.CANNED}
    print(apache.save("request", "apache_canned_errors.json", out, newline=False))


if __name__ == "__main__":
    main()
