"""The CGI scripts and the config the CGI tests share (differential, faults, bench):
a tree readable by the unprivileged children, scripts in /bin/sh."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.e2e.mpm import AS_ROOT

VARS = ("GATEWAY_INTERFACE SERVER_PROTOCOL REQUEST_METHOD QUERY_STRING REQUEST_URI "
        "SCRIPT_NAME PATH_INFO PATH_TRANSLATED SCRIPT_FILENAME CONTEXT_PREFIX "
        "CONTEXT_DOCUMENT_ROOT DOCUMENT_ROOT CONTENT_TYPE CONTENT_LENGTH HTTP_X_FOO "
        "HTTP_PROXY HTTP_AUTHORIZATION REMOTE_ADDR SERVER_NAME SERVER_ADDR SERVER_PORT "
        "REQUEST_SCHEME REDIRECT_STATUS REDIRECT_URL REDIRECT_QUERY_STRING MYVAR "
        "SETENVIF_VAR HTTPS AUTH_TYPE REMOTE_USER SERVER_ADMIN HTTP_HOST").split()

SH = "#!/bin/sh\n"
SCRIPTS = {
    "env.sh": SH + "printf 'Content-Type: text/plain\\n\\n'\n"
              + "".join(f"echo \"{v}=${{{v}-unset}}\"\n" for v in VARS)
              + "n=0; for a in \"$@\"; do n=$((n+1)); echo \"argv$n=$a\"; done\n"
              + "echo \"cwd=$(pwd)\"\n"
              + "cat > /dev/null\n",      # the body read: no race with an unread one
    "post.sh": SH + "printf 'Content-Type: text/plain\\n\\n'\necho \"len=${CONTENT_LENGTH-unset}\"\n"
               "cat\necho\n",
    "status.sh": SH + "printf 'Status: 404 Not Here\\nContent-Type: text/plain\\n\\nnothing\\n'\n",
    "status204.sh": SH + "printf 'Status: 204\\n\\n'\n",
    "status999.sh": SH + "printf 'Status: 999 Odd\\nContent-Type: text/plain\\n\\nodd\\n'\n",
    "local.sh": SH + "printf 'Location: /cgi-bin/env.sh/moved?from=redirect\\n\\nignored\\n'\n",
    "remote.sh": SH + "printf 'Location: http://example.com/elsewhere\\n\\nignored\\n'\n",
    "moved.sh": SH + "printf 'Status: 301 Moved\\nLocation: http://example.com/m\\n"
                "Content-Type: text/html\\n\\nmy own body\\n'\n",
    "nph-raw.sh": SH + "printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n"
                  "X-Nph: yes\\r\\n\\r\\nnph body\\n'\n",
    "bad.sh": SH + "printf 'this is no header\\n\\nbody\\n'\n",
    "empty.sh": SH + "exit 0\n",
    "premature.sh": SH + "printf 'X-Partial: yes\\n'\n",
    "te.sh": SH + "printf 'Transfer-Encoding: chunked\\nContent-Type: text/plain\\n\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n'\n",
    "cookies.sh": SH + "printf 'Content-Type: text/plain\\nSet-Cookie: a=1\\nSet-Cookie: b=2\\n"
                  "X-Multi: one\\nX-Multi: two\\n\\ncookies\\n'\n",
    "lastmod.sh": SH + "printf 'Content-Type: text/plain\\nLast-Modified: Mon, 01 Jan 2001 00:00:00 GMT\\n\\ndated\\n'\n",
    "badlastmod.sh": SH + "printf 'Content-Type: text/plain\\nLast-Modified: yesterday\\n\\nundated\\n'\n",
    "length.sh": SH + "printf 'Content-Type: text/plain\\nContent-Length: 3\\n\\nabcdef\\n'\n",
    "crlf.sh": SH + "printf 'Content-Type: Text/HTML; Charset=UTF-8\\r\\nX-Crlf: yes\\r\\n\\r\\ncrlf body\\n'\n",
    "stderr.sh": SH + "echo 'to the log' >&2\nprintf 'Content-Type: text/plain\\n\\nout\\n'\n",
    "dies.sh": SH + "printf 'Content-Type: text/plain\\n\\npartial'\nkill -9 $$\n",
    "hang.sh": SH + "printf 'Content-Type: text/plain\\n\\nbefore hang\\n'\nsleep 30 &\n"
               "echo $$ $! > \"$PIDDIR/hang\"\nwait\n",
    "hangfirst.sh": SH + "sleep 30 &\necho $$ $! > \"$PIDDIR/hangfirst\"\nwait\n",
    "flood.sh": SH + "i=0; while [ $i -lt 3000 ]; do echo \"noise line $i with some padding to make it long\" >&2; i=$((i+1)); done\n"
                "printf 'Content-Type: text/plain\\n\\nflooded\\n'\n",
    "slow.sh": SH + "echo $$ > \"$PIDDIR/slow\"\nprintf 'Content-Type: text/plain\\n\\n'\ni=0; while [ $i -lt 200 ]; do echo tick $i; sleep 0.05; i=$((i+1)); done\n",
    "ticks.sh": SH + "printf 'Content-Type: text/plain\\n\\n'\nfor i in 1 2 3 4 5; do echo tick $i; sleep 0.05; done\n",
    "whoami.sh": SH + "printf 'Content-Type: text/plain\\n\\n'\nid -u\n",
    "hello.sh": SH + "printf 'Content-Type: text/plain\\n\\nhello\\n'\n",
}


def make_tree() -> Path:
    """A fresh tree: cgi/ (ScriptAlias'd), docs/ (DocumentRoot, with an ExecCGI
    directory of .cgi files), every file readable by the children's user."""
    root = Path(tempfile.mkdtemp(prefix="httpd-cgi-"))
    root.chmod(0o755)
    cgi, docs = root / "cgi", root / "docs"
    for d in (cgi, docs, docs / "run", docs / "norun", cgi / "subdir", root / "pids"):
        d.mkdir()
        d.chmod(0o755)
    (root / "pids").chmod(0o777)
    for name, text in SCRIPTS.items():
        (cgi / name).write_text(text)
        (cgi / name).chmod(0o755)
    (cgi / "plain.txt").write_text("not executable\n")
    (cgi / "plain.txt").chmod(0o644)
    for d in ("run", "norun"):
        (docs / d / "t.cgi").write_text(SCRIPTS["hello.sh"])
        (docs / d / "t.cgi").chmod(0o755)
    (docs / "index.html").write_text("index\n")
    (docs / "index.html").chmod(0o644)
    return root


def config(root: Path, module: str = "cgi") -> str:
    timeout = "CGIScriptTimeout" if module == "cgi" else "CGIDScriptTimeout"
    user = "User nobody\nGroup nogroup\n" if AS_ROOT else ""
    return (f"{user}DocumentRoot {root}/docs\n"
            f"<Directory {root}>\nRequire all granted\n</Directory>\n"
            f"ScriptAlias /cgi-bin/ {root}/cgi/\n"
            f"ScriptAliasMatch ^/cgim/([^/]*)(.*) {root}/cgi/$1$2\n"
            f"<Directory {root}/docs/run>\nOptions +ExecCGI\nAddHandler cgi-script .cgi\n"
            "</Directory>\n"
            f"<Directory {root}/docs/norun>\nAddHandler cgi-script .cgi\n</Directory>\n"
            "SetEnv MYVAR from-mod-env\n"
            f"SetEnv PIDDIR {root}/pids\n"
            "SetEnvIf X-Foo ^bar$ SETENVIF_VAR=matched\n"
            "<Location /cgi-bin/post.sh>\nLimitRequestBody 100\n</Location>\n"
            "<Location /cgi-bin/env.sh/auth>\nCGIPassAuth On\n</Location>\n"
            "<Location /cgi-bin/env.sh/current>\nCGIVar REQUEST_URI current-uri\n</Location>\n"
            f"<Location /cgi-bin/hang.sh>\n{timeout} 2\n</Location>\n"
            f"<Location /cgi-bin/hangfirst.sh>\n{timeout} 2\n</Location>\n"
            f"<Location /cgi-bin/slow.sh>\n{timeout} 5\n</Location>\n")
