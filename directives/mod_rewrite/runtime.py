"""mod_rewrite's hooks (mod_rewrite.c): hook_uri2file (translate_name, FIRST: the
per-server rules), hook_fixup (fixups, FIRST: the per-directory rules, ending in an
internal redirect through the "redirect:" file name and handler_redirect), hook_mimetype
(fixups, LAST: T= and H=)."""
from __future__ import annotations

from directives.mod_rewrite import (ENGINE_DISABLED, MODULE_NAME, OPTION_ANYURI,
                                    OPTION_IGNORE_CONTEXT_INFO,
                                    OPTION_LEGACY_PREFIX_DOCROOT, OPTION_NOSLASH,
                                    OPTION_UNSAFE_PREFIX_STAT)
from httpd.core.config import OPT_SYM_LINKS, OPT_SYM_OWNER
from httpd.module import CORE_MODULE
from httpd.module.hooks import DECLINED, OK

HTTP_OK, HTTP_MOVED_TEMPORARILY = 200, 302
HTTP_BAD_REQUEST, HTTP_FORBIDDEN = 400, 403
REWRITE_REDIRECT_HANDLER_NAME = "redirect-handler"
ENVVAR_SCRIPT_URL, ENVVAR_SCRIPT_URI = "SCRIPT_URL", "SCRIPT_URI"


def _engine():
    from directives.mod_rewrite import engine
    return engine


def _is_redirect(status: int) -> bool:
    return 300 <= status <= 399


def _redirect(r, e, rulestatus: int, skip_absolute: int, oargs, ctxlog) -> int:
    """The part hook_uri2file and hook_fixup share once the result is a remote URL."""
    from httpd.util.uri import escape_uri
    if rulestatus != e.ACTION_NOESCAPE:
        ctxlog(1, f"escaping {r.filename} for redirect")
        r.filename = e.escape_absolute_uri(r.filename, skip_absolute)
    if r.args is not None:
        noescape = rulestatus == e.ACTION_NOESCAPE or (oargs is not None
                                                       and r.args == oargs)
        escaped = r.args if noescape else escape_uri(r.args)
        r.filename = f"{r.filename}?{escaped}"
        ctxlog(1, f"{'copying' if noescape else 'escaping'} {r.args} to query string for "
               f"redirect {'' if noescape else escaped}")
    if _is_redirect(r.status):
        n = r.status
        r.status = HTTP_OK
    else:
        n = HTTP_MOVED_TEMPORARILY
    r.headers_out.set("Location", r.filename)
    ctxlog(1, f"redirect to {r.filename} [REDIRECT/{n}]")
    return n


def _logger(r, perdir, lv: int):
    e = _engine()
    if lv <= 0:
        return lambda level, text: None

    def log(level: int, text: str) -> None:
        if lv >= level:
            e.rewritelog(r, level, perdir, text)
    return log


def hook_uri2file(r) -> int:
    """translate_name: the server's (or virtual host's) rules."""
    dconf = r.module_config(MODULE_NAME)
    if dconf is None or dconf.state == ENGINE_DISABLED:
        return DECLINED
    conf = r.server_config(MODULE_NAME)
    if conf is None:
        return DECLINED
    e = _engine()
    lv = e.trace_level(r)
    log = _logger(r, None, lv)
    if e.ended(r):
        log(8, "Declining, no further rewriting due to END flag")
        return DECLINED
    if not dconf.options & OPTION_ANYURI and (r.unparsed_uri == "*" or not r.uri
                                              or r.uri[0] != "/"):
        log(8, f"Declining, request-URI '{r.uri}' is not a URL-path. Consult the manual "
            "entry for the RewriteOptions directive for options and caveats about "
            "matching other strings.")
        return DECLINED
    oargs = r.args
    env = r.subprocess_env
    if r.main is None:
        var = env.get("REDIRECT_" + ENVVAR_SCRIPT_URL)
        env[ENVVAR_SCRIPT_URL] = r.uri if var is None else var
    else:
        var = r.main.subprocess_env.get(ENVVAR_SCRIPT_URL)
        if var is None:
            env.pop(ENVVAR_SCRIPT_URL, None)
        else:
            env[ENVVAR_SCRIPT_URL] = var
    port = e.get_server_port(r)
    thisport = "" if port == e.default_port(r) else f":{port}"
    env[ENVVAR_SCRIPT_URI] = (f"{e.http_scheme(r)}://{e.get_server_name_for_url(r)}"
                              f"{thisport}{env.get(ENVVAR_SCRIPT_URL) or ''}")
    lastsub = None
    saved = r.notes.get("mod_rewrite_rewritten")
    if saved is None:
        if r.filename is None:
            r.filename = r.uri
            log(2, f"init rewrite engine with requested uri {r.filename}")
        else:
            log(2, f"init rewrite engine with passed filename {r.filename}. Original "
                f"uri = {r.uri}")
        rulestatus, lastsub = e.apply_rewrite_list(r, conf.rules, None)
        r.notes["mod_rewrite_rewritten"] = str(rulestatus)
    else:
        log(2, f"uri already rewritten. Status {saved}, Uri {r.uri}, r->filename "
            f"{r.filename}")
        rulestatus = int(saved)
    if not rulestatus:
        log(1, f"pass through {r.filename}")
        return DECLINED
    fn = r.filename or ""
    status, skip_absolute = _rules_outcome(e, r, rulestatus, fn, "AH10410", "AH00669")
    if status is not None:
        return status
    if skip_absolute > 0:
        return _redirect(r, e, rulestatus, skip_absolute, oargs, log)
    if len(fn) > 12 and fn.startswith("passthrough:"):
        r.uri = fn[12:]
        return DECLINED
    r.filename = e.expand_tildepaths(r.filename)
    log(2, f"local path result: {r.filename}")
    if not r.filename.startswith("/"):
        return HTTP_BAD_REQUEST
    uri_reduced = None
    if not conf.options & OPTION_LEGACY_PREFIX_DOCROOT:
        uri_reduced = r.notes.get("mod_rewrite_uri_reduced")
    ctx = e.Ctx(r, None)
    ctx.lv = lv
    if not e.prefix_stat(ctx, r.filename,
                         None if conf.options & OPTION_UNSAFE_PREFIX_STAT else lastsub) \
            or uri_reduced is not None:
        from httpd.core.runtime import core_translate
        tmp = r.uri
        r.uri = r.filename
        res = core_translate(r)
        r.uri = tmp
        if res != OK:
            log(1, f"prefixing with document_root of {r.filename} FAILED")
            return res
        log(2, f"prefixed with document_root to {r.filename}")
    log(1, f"go-ahead with {r.filename} [OK]")
    return OK


def hook_fixup(r) -> int:
    """fixups (FIRST): the rules of the directory sections and .htaccess files."""
    dconf = r.module_config(MODULE_NAME)
    if dconf is None or dconf.state == ENGINE_DISABLED or dconf.directory is None:
        return DECLINED
    e = _engine()
    directory = dconf.directory
    is_proxyreq = bool(getattr(r, "proxyreq", 0) and r.filename
                       and r.filename.startswith("proxy:"))
    if not is_proxyreq and not dconf.options & OPTION_NOSLASH:
        n = len(directory) - 1
        if r.filename and len(r.filename) == n and directory[n] == "/" and \
                directory.startswith(r.filename):
            return DECLINED
    lv = e.trace_level(r)
    log = _logger(r, directory, lv)
    if e.ended(r):
        log(8, "Declining, no further rewriting due to END flag")
        return DECLINED
    core = r.module_config(CORE_MODULE)
    if not core.opts & (OPT_SYM_LINKS | OPT_SYM_OWNER):
        e.log_rerror(r, "rewrite", "error", "AH00670: Options FollowSymLinks and "
                     "SymLinksIfOwnerMatch are both off, so the RewriteRule directive is "
                     "also forbidden due to its similar ability to circumvent directory "
                     f"restrictions : {r.filename}")
        return HTTP_FORBIDDEN
    ofilename, oargs = r.filename, r.args
    if r.filename is None:
        r.filename = r.uri
        log(2, f"init rewrite engine with requested uri {r.filename}")
    rulestatus, _ = e.apply_rewrite_list(r, dconf.rules, directory)
    if not rulestatus:
        log(1, f"pass through {r.filename}")
        r.filename = ofilename
        return DECLINED
    fn = r.filename
    status, skip_absolute = _rules_outcome(e, r, rulestatus, fn, "AH10411", "AH10160")
    if status is not None:
        return status
    ctx = e.Ctx(r, directory)
    ctx.lv = lv
    if skip_absolute > 0:
        if dconf.baseurl is not None:
            cp = fn.find("/", skip_absolute)
            if cp >= 0 and cp + 1 < len(fn):
                cp += 1
                log(2, f"trying to replace prefix {directory} with {dconf.baseurl}")
                tail = fn[cp:]
                new = e.subst_prefix_path(ctx, tail, directory[1:] if directory.startswith(
                    "/") else directory, dconf.baseurl[1:])
                if new != tail:
                    r.filename = fn[:cp] + new
        return _redirect(r, e, rulestatus, skip_absolute, oargs, log)
    if len(fn) > 12 and fn.startswith("passthrough:"):
        r.filename = fn = fn[12:]
    if not fn.startswith("/"):
        return HTTP_BAD_REQUEST
    if ofilename is not None and fn == ofilename:
        log(1, f"initial URL equal rewritten URL: {fn} [IGNORING REWRITE]")
        return OK
    tmpfilename = fn
    if dconf.baseurl is not None:
        log(2, f"trying to replace prefix {directory} with {dconf.baseurl}")
        r.filename = e.subst_prefix_path(ctx, fn, directory, dconf.baseurl)
    else:
        ccp = e.document_root(r)
        if ccp:
            n = len(ccp) - 1 if ccp.endswith("/") else len(ccp)
            if fn.startswith(ccp[:n]) and fn[n:n + 1] == "/":
                log(2, f"strip document_root prefix: {fn} -> {fn[n:]}")
                r.filename = fn[n:]
    if r.filename is tmpfilename and not dconf.options & OPTION_IGNORE_CONTEXT_INFO:
        from httpd.request.context import context_document_root, context_prefix
        ccp = context_document_root(r)
        prefix = context_prefix(r)
        log(2, f"trying to replace context docroot {ccp} with context prefix {prefix}")
        r.filename = e.subst_prefix_path(ctx, r.filename, ccp, prefix)
    r.notes["redirect-keeps-vary"] = ""
    log(1, f"internal redirect with {r.filename} [INTERNAL REDIRECT]")
    r.filename = "redirect:" + r.filename
    r.handler = REWRITE_REDIRECT_HANDLER_NAME
    return OK


def hook_mimetype(r) -> int:
    """fixups (LAST): the type and handler a rule forced (T=, H=)."""
    notes = r.notes
    if not notes:
        return OK
    t = notes.get("rewrite-forced-mimetype")
    if t:
        e = _engine()
        if e.trace_level(r) >= 1:
            e.rewritelog(r, 1, None, f"force filename {r.filename} to have MIME-type '{t}'")
        r.content_type = t
    t = notes.get("rewrite-forced-handler")
    if t:
        e = _engine()
        if e.trace_level(r) >= 1:
            e.rewritelog(r, 1, None, f"force filename {r.filename} to have the "
                         f"Content-handler '{t}'")
        r.handler = t
    return OK


def handler_redirect(r) -> int:
    """The handler of a per-directory rewrite: the internal redirect."""
    if r.handler != REWRITE_REDIRECT_HANDLER_NAME:
        return DECLINED
    fn = r.filename or ""
    if not fn.startswith("redirect:"):
        return DECLINED
    from httpd.http.request import internal_redirect
    target = fn[9:] if r.args is None else f"{fn[9:]}?{r.args}"
    internal_redirect(target, r)
    return OK


# -- prg: maps ---------------------------------------------------------------------------

_SPAWNED: list = []          # (pid of the spawner, Popen) of this generation's programs
_EXIT_HOOK: list = []


def _stop_programs(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(3)             # APR_KILL_AFTER_TIMEOUT: SIGTERM, then SIGKILL
        except Exception:
            proc.kill()


def _child_stderr(process):
    """The prg's standard error: Apache's program inherits the server's, which
    ap_open_logs (run before post_config) has pointed at the main server's ErrorLog
    (/dev/null when that is syslog).  Here the logs open after post_config, so the
    program gets its own descriptor on the same destination: the file opened for
    appending, or a piped ErrorLog's program started for it alone (as the cgid daemon
    opens its own).  Returns (fd or None to inherit, what to do once it is spawned)."""
    import os
    from httpd.log.sinks import FileSink, PipeSink, open_sink
    fname = process.main_server.module_config[CORE_MODULE].error_fname
    if not fname:
        return None, None
    if fname[:6].lower() == "syslog":
        fd = os.open(os.devnull, os.O_WRONLY)
        return fd, lambda: os.close(fd)
    sink = open_sink(process, fname)
    if isinstance(sink, PipeSink):
        piped = sink.piped

        def let_go():
            # the logger is the program's alone: this process keeps neither end and
            # neither stops nor restarts it (it ends when the program's stderr closes)
            piped.child_init()
            piped.close()
        return piped.write_fd, let_go
    if isinstance(sink, FileSink):
        return sink.fd, sink.close
    return None, None


def _spawn(m, server, process=None) -> bool:
    import os
    import subprocess
    from httpd.log.errorlog import error_log

    def become():
        if os.geteuid() == 0:
            import grp
            import pwd
            if m.group:
                os.setgid(grp.getgrnam(m.group).gr_gid)
            if m.user:
                os.setuid(pwd.getpwnam(m.user).pw_uid)
    stderr, done = _child_stderr(process) if process is not None else (None, None)
    try:
        m.proc = subprocess.Popen(
            m.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
            bufsize=0, cwd=os.path.dirname(m.argv[0]) or "/", close_fds=True,
            preexec_fn=become if (m.user or m.group) else None)
    except (OSError, KeyError, ValueError, subprocess.SubprocessError) as e:
        error_log(server, "rewrite", "error", "AH00654: mod_rewrite: could not start "
                  f"RewriteMap program {m.argv[0]}", status=e)
        return False
    finally:
        if done is not None:
            done()
    return True


def post_config(process, server) -> bool:
    """run_rewritemap_programs for every server whose engine is on: each prg: map's
    program starts once (a map a virtual host inherits is the same map); the previous
    generation's programs stop."""
    import os
    from directives.mod_rewrite import ENGINE_ENABLED, MAPTYPE_PRG
    old = [p for _, p in _SPAWNED]
    _SPAWNED[:] = []
    ok = True
    if not _EXIT_HOOK:
        import atexit
        # the server's last process (the MPM's parent, or -X) stops them; its children
        # and the detaching forks leave with os._exit
        atexit.register(lambda: _stop_programs([p for _, p in _SPAWNED]))
        _EXIT_HOOK.append(True)

    for s in [process.main_server, *getattr(process, "vhosts", ())]:
        conf = s.module_config.get(MODULE_NAME)
        if conf is None or conf.state != ENGINE_ENABLED:
            continue
        for m in conf.maps.values():
            if m.type != MAPTYPE_PRG or m.proc is not None or not m.argv[0]:
                continue
            if not _spawn(m, s, process):
                ok = False
                break
            _SPAWNED.append((os.getpid(), m.proc))
    if _SPAWNED and MAP_LOCK.fd is None:
        import tempfile
        fd, path = tempfile.mkstemp(prefix="rewrite-map.")
        os.unlink(path)
        MAP_LOCK.fd = fd
    _stop_programs(old)
    return ok


class _MapLock:
    """The rewrite-map mutex: one lookup at a time across the threads of a process
    (a lock) and across the processes (lockf on one inherited file descriptor)."""

    def __init__(self):
        import threading
        self.thread_lock = threading.Lock()
        # an unlinked file the parent opens at post_config: its children inherit the
        # descriptor, and lockf's locks belong to each process
        self.fd = None

    def __enter__(self):
        import fcntl
        self.thread_lock.acquire()
        try:
            if self.fd is not None:
                fcntl.lockf(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.thread_lock.release()
            raise
        return self

    def __exit__(self, *exc):
        import fcntl
        try:
            if self.fd is not None:
                fcntl.lockf(self.fd, fcntl.LOCK_UN)
        finally:
            self.thread_lock.release()


MAP_LOCK = _MapLock()


def lookup_map_program(m, key: str):
    """One line to the program, one line back; "NULL" is no value."""
    proc = m.proc
    if proc is None or "\n" in key:
        return None
    with MAP_LOCK:
        try:
            proc.stdin.write(key.encode("latin-1", "replace") + b"\n")
            out = bytearray()
            while True:
                c = proc.stdout.read(1)
                if not c or c == b"\n":
                    break
                out += c
        except (OSError, ValueError):
            return None
    value = out.decode("latin-1")
    if value.lower() == "null":
        return None
    return value


def _rules_outcome(e, r, rulestatus: int, fn: str, ah: str, ah_proxy: str) -> tuple:
    """What hook_uri and hook_fixup both decide once the rules ran: the answer when the
    request ends here (a query string with controls or spaces, F/G/R statuses, a proxy
    target with no mod_proxy) or None, and is_absolute_uri's scheme length of ``fn``.
    ``e``: the engine module; ``ah``: the AH code of the query-string error (AH10410
    per server, AH10411 per directory), ``ah_proxy`` that of the proxy target without
    mod_proxy (AH00669 per server, AH10160 per directory)."""
    skip_absolute = e.is_absolute_uri(fn)[0] if fn else 0
    will_escape = skip_absolute and rulestatus != e.ACTION_NOESCAPE
    if r.args is not None and not will_escape and e.has_ctl_or_space(r.args):
        e.log_rerror(r, "rewrite", "error", f"{ah}: Rewritten query string contains "
                     "control characters or spaces")
        return HTTP_FORBIDDEN, skip_absolute
    if rulestatus == e.ACTION_STATUS:
        n = r.status
        r.status = HTTP_OK
        return n, skip_absolute
    if rulestatus == e.ACTION_STATUS_SET:
        return r.status, skip_absolute
    if len(fn) > 6 and fn.startswith("proxy:"):
        # mod_proxy is not offered by this server: as Apache without it
        e.log_rerror(r, "rewrite", "error", f"{ah_proxy}: attempt to make remote request from "
                     f"mod_rewrite without proxy enabled: {fn}")
        return HTTP_FORBIDDEN, skip_absolute
    return None, skip_absolute
