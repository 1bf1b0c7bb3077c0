"""mpm-itk's hooks (mpm_itk.c): the fork per connection, the switch of user per request,
MaxClientsVHost, and what it adds to -S and /server-status.

The process state mpm_itk.c keeps in globals (``have_forked``,
``ap_has_irreversibly_setuid``, the saved User/Group) is one ``_State`` per process:
a grandchild starts from a copy of its prefork child's and changes only its own.
"""
from __future__ import annotations

import fcntl
import grp
import os
import pwd
import signal
import sys
import threading
from html import escape
from typing import Any, Optional

from httpd.expr import ExprError
from httpd.http.header_filter import add_version_component
from httpd.io import connection
from httpd.io.channel import Channel
from httpd.log import errorlog
from httpd.module import CORE_MODULE
from httpd.module.hooks import DECLINED, OK
from httpd.mpm.children import APEXIT_CHILDFATAL
from httpd.mpm.common import MPMQ
from httpd.mpm.identity import NO_ID, become, user_name_of
from httpd.mpm.lifecycle import child_exit
from httpd.mpm.scoreboard import VHOST_LEN, vhost_of
from httpd.request.directory_walk import fs_path
from httpd.request.process import evaluate_str, log_rerror
from httpd.util.cparse import atoi

from mpms.itk.config import (AP_STATUS_SHORT, MPMITK_VERSION, NAME, TAG, UNSET_NICE_VALUE,
                             ItkDirConfig, ItkServerConfig)
from mpms.itk import caps
from mpms.itk.seccomp import restrict_setuid_range

HTTP_INTERNAL_SERVER_ERROR = 500
HTTP_SERVICE_UNAVAILABLE = 503
# worker_score statuses from SERVER_BUSY_READ on (Apache's enum order): busy slots
_BUSY = frozenset("RWKLDCGI")
# mod_unixd's config, which mpm_itk.c reads and fiddles as ap_unixd_config
_UNIXD = "unixd_module"


class _State:
    def __init__(self) -> None:
        self.forked = False               # have_forked: this is a connection's process
        self.setuid = False               # ap_has_irreversibly_setuid
        self.saved: Optional[tuple] = None   # the User/Group ids mod_unixd must not use
        self.caps = False                 # EnableCapabilities took effect here
        self.parent_fd: Optional[int] = None  # the pipe the prefork child holds open
        self.sock: Any = None             # the grandchild's connection
        self.score: Any = None            # and its scoreboard slot


STATE = _State()


def _log(process: Any, level: str, msg: str) -> None:
    """ap_log_error(..., NULL, ...): the main server's error log."""
    errorlog.error_log(process.main_server, TAG, level, msg)


def _dbg(process: Any, fn: str, text: str) -> None:
    """mpm_itk.c's _DBG: a warning naming the process's ids and the function."""
    _log(process, "warn", f"(itkmpm: pid={os.getpid()} uid={os.getuid()}, gid={os.getgid()}) "
                          f"{fn}(): {text}")


def _unixd(process: Any) -> Any:
    return process.main_server.module_config.get(_UNIXD)


def _main_config(process: Any) -> ItkServerConfig:
    return process.main_server.module_config[NAME]


# -- start-up ---------------------------------------------------------------------------

def itk_init_handler(process: Any, server: Any) -> Any:
    """post_config (itk_init_handler): refuse a threaded MPM."""
    mpm = process.registry.mpm
    threaded = mpm.mpm.query(MPMQ.IS_THREADED) if mpm is not None else None
    if threaded is None or threaded:
        process.log.error(TAG, "crit", "mpm-itk cannot use threaded MPMs; please use prefork.")
        return HTTP_INTERNAL_SERVER_ERROR
    add_version_component(f"mpm-itk/{MPMITK_VERSION}")
    return OK


def itk_pre_drop_privileges(process: Any, server: Any) -> Any:
    """drop_privileges, before mod_unixd (itk_pre_drop_privileges).  EnableCapabilities
    On: the filter first, then keep the capabilities across mod_unixd's switch to User.
    Off: the prefork child must stay root to switch to each vhost's user later, so
    mod_unixd's User and Group are made root's for its switch (child_init puts them
    back)."""
    main = _main_config(process)
    if main.enable_caps:
        STATE.caps = True
        _restrict(process, main)
        return caps.set_keepcaps(True) or OK
    cfg = _unixd(process)
    if cfg is not None and cfg.user_id != NO_ID:
        STATE.saved = (cfg.user_id, cfg.group_id)
        cfg.user_id, cfg.group_id = 0, 0
    return OK


def _restrict(process: Any, main: ItkServerConfig) -> None:
    err = restrict_setuid_range(main.min_uid, main.max_uid, main.min_gid, main.max_gid)
    if err:
        _log(process, "info", err)


def itk_child_init(process: Any, server: Any) -> None:
    """After drop_privileges (itk_post_drop_privileges).  EnableCapabilities On: only
    CAP_SETUID, CAP_SETGID, CAP_DAC_READ_SEARCH and CAP_SYS_NICE are left.  Off: User
    and Group again for the requests that fall back on them, and the LimitUIDRange/
    LimitGIDRange filter, inherited by every connection's process."""
    if STATE.caps:
        err = caps.set_keepcaps(False)
        if err:
            _log(process, "emerg", err)
            os._exit(APEXIT_CHILDFATAL)
        try:
            caps.set_caps(caps.SUID_CAPS)
        except OSError:
            pass                    # cap_set_proc's result is not checked either
        return
    cfg = _unixd(process)
    if STATE.saved is not None and cfg is not None:
        cfg.user_id, cfg.group_id = STATE.saved
        STATE.saved = None
    _restrict(process, _main_config(process))


# -- the fork per connection ----------------------------------------------------------------

def itk_fork_process(serving: Any, sock: Any, addr: tuple, listener: Any,
                     score: Any) -> int:
    """process_connection (itk_fork_process, REALLY_FIRST): a process for this
    connection.  The grandchild serves it with the core's serve_connection (not through
    this hook again) and exits; this process closes its copy of the socket and waits.
    When this process dies (SIGTERM, SIGHUP, anything) the grandchild ends too: the
    kernel signals it when the pipe this process holds open closes, since a prefork
    child running as User (EnableCapabilities) may not signal another user's process.  A graceful restart
    lets it finish its connection."""
    if STATE.forked:
        return DECLINED
    process = serving.process
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError as e:
        os.close(r)
        os.close(w)
        _log(process, "error", f"({e.errno}){os.strerror(e.errno)}: fork: Unable to fork "
                               "new process")
        sock.close()
        return OK
    if pid == 0:
        os.close(w)
        _grandchild(serving, sock, addr, score, r)   # never returns
    os.close(r)
    sock.close()
    try:
        status = _wait(pid)
    finally:
        os.close(w)
    if score is not None:
        score.set_identity(os.getuid(), os.getgid())
    if status is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        if status is not None and os.WIFSIGNALED(status):
            _log(process, "error", f"child died with signal {os.WTERMSIG(status)}")
        elif status is not None and os.WIFEXITED(status):
            _log(process, "error", f"child exited with non-zero exit status "
                                   f"{os.WEXITSTATUS(status)}")
        else:
            _log(process, "error", "waitpid() failed")
        # mpm_itk.c: exit(1); the parent starts another child
        try:
            child_exit(process, False)
        finally:
            os._exit(1)
    return OK


def _grandchild(serving: Any, sock: Any, addr: tuple, score: Any, parent_fd: int) -> None:
    STATE.forked = True
    STATE.sock, STATE.score, STATE.parent_fd = sock, score, parent_fd
    code = 0
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)   # graceful: finish this one
        _watch_parent()
        connection.serve_connection(serving, sock, addr, sock.getsockname(), score)
        child_exit(serving.process, False)
    except BaseException:       # nothing may return into the prefork child's loop
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


F_SETSIG = getattr(fcntl, "F_SETSIG", 10)      # Linux's fcntl.h


def _watch_parent() -> None:
    """Have the kernel send this process SIGTERM (whose handler is the prefork child's:
    leave at once) when the prefork child's end of the pipe closes, that is when it
    dies.  The kernel checks the owner's user as a kill() would, so this is set again
    after each change of user; a parent already gone ends this process now."""
    fd = STATE.parent_fd
    if fd is None:
        return
    try:
        fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
        fcntl.fcntl(fd, F_SETSIG, signal.SIGTERM)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC
                    | os.O_NONBLOCK)
    except OSError:
        return
    try:
        gone = os.read(fd, 1) == b""
    except BlockingIOError:
        gone = False
    if gone:
        os.kill(os.getpid(), signal.SIGTERM)


def _wait(pid: int) -> Optional[int]:
    """waitpid for the grandchild (None when there is none to wait for)."""
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return None
        except InterruptedError:
            continue


# -- the switch per request ------------------------------------------------------------

def _close_connection(r: Any) -> None:
    """ap_lingering_close(r->connection); exit(0): the connection ends here."""
    try:
        if STATE.sock is not None:
            Channel(STATE.sock, r.conn).lingering_close()
        child_exit(r.process, False)
    finally:
        os._exit(0)


def _check_max_clients(r: Any, sconf: ItkServerConfig) -> Optional[int]:
    """MaxClientsVHost: busy slots serving the same vhost:port, this one included."""
    my_vhost = vhost_of(r)[:VHOST_LEN - 1]
    ws = getattr(STATE.score, "worker", None)     # the slot's scoreboard record
    if ws is not None:
        ws.vhost = my_vhost         # recorded even without ExtendedStatus
    sb = getattr(r.process, "scoreboard", None)
    if sb is None:
        return None
    mpm = r.process.registry.mpm
    limit = mpm.mpm.query(MPMQ.HARD_LIMIT_DAEMONS, r.process.mpm_state) if mpm else None
    n = 0
    for i in range(limit or 0):
        ws = sb.worker(i, 0)
        if ws.status in _BUSY and ws.vhost == my_vhost:
            n += 1
    if n > sconf.max_clients_vhost:
        _log(r.process, "warn", f"MaxClientsVhost reached for {my_vhost}, refusing client.")
        return HTTP_SERVICE_UNAVAILABLE
    return None


def _from_expr(r: Any, expr: Any, what: str, kind: str, lookup) -> tuple[Optional[int],
                                                                        Optional[str]]:
    """An AssignUserIDExpr/AssignGroupIDExpr result: (id, name), or (None, None) after
    logging why the request fails."""
    process = r.process
    try:
        name = evaluate_str(r, expr)
    except ExprError as e:
        _log(process, "error", f"Error while parsing {what} expression: {e}")
        return None, None
    if name.startswith("#"):
        main = _main_config(process)
        n = atoi(name[1:])          # apr_atoi64
        if n < main.min_uid or n > main.max_uid:
            # mpm_itk.c checks both against the uid range, and names AssignUserIDExpr
            _log(process, "error", f"AssignUserIDExpr returned '{name}', which cannot be "
                                   f"parsed as an {kind} in the allowed range")
            return None, None
        return n, name
    try:
        return lookup(name), name
    except KeyError:
        label = "user" if kind == "uid" else "group"
        _log(process, "error", f"{what} returned '{name}', which is not a valid {label} name")
        return None, None


def itk_post_perdir_config(r: Any) -> int:
    """post_perdir_config (itk_post_perdir_config, REALLY_FIRST): in a connection's
    process, become the user this request wants."""
    if not STATE.forked:
        return DECLINED
    process = r.process
    sconf: ItkServerConfig = r.server.module_config[NAME]
    if sconf.max_clients_vhost > 0:
        refused = _check_max_clients(r, sconf)
        if refused:
            return refused
    dconf: ItkDirConfig = r.module_config(NAME) or ItkDirConfig()
    fn = "itk_post_perdir_config"
    err = False
    if dconf.nice_value != UNSET_NICE_VALUE:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, dconf.nice_value)
        except OSError as e:
            _dbg(process, fn, f"setpriority(): {e.strerror}")
            err = True

    uid, gid, username = dconf.uid, dconf.gid, dconf.username
    if uid == NO_ID or gid == NO_ID:
        unixd = _unixd(process)
        uid = unixd.user_id if unixd is not None else NO_ID
        gid = unixd.group_id if unixd is not None else NO_ID
        username = unixd.user_name if unixd is not None else "#-1"
    if dconf.uid_expr is not None:
        uid, username = _from_expr(r, dconf.uid_expr, "AssignUserIDExpr", "uid",
                                   lambda n: pwd.getpwnam(n).pw_uid)
        if uid is None:
            return HTTP_INTERNAL_SERVER_ERROR
    if dconf.gid_expr is not None:
        gid, _ = _from_expr(r, dconf.gid_expr, "AssignGroupIDExpr", "gid",
                            lambda n: grp.getgrnam(n).gr_gid)
        if gid is None:
            return HTTP_INTERNAL_SERVER_ERROR

    # setuid at least on the first request, then only when something must change
    if (not err and not STATE.setuid) or uid != os.getuid() or gid != os.getgid():
        try:
            become(uid, gid, username or f"#{uid}")
        except OSError as e:
            call = getattr(e, "call", "setuid")
            main = _main_config(process)
            if call == "setgid":
                _dbg(process, fn, f"setgid({gid}): {e.strerror}")
                if gid < main.min_gid or gid > main.max_gid:
                    _log(process, "notice", "This is most likely due to the current "
                                            "LimitGIDRange setting.")
            elif call == "initgroups":
                _dbg(process, fn, f"initgroups({username}, {gid}): {e.strerror}")
            else:
                _dbg(process, fn, f"setuid({uid}): {e.strerror}")
                if uid < main.min_uid or uid > main.max_uid:
                    _log(process, "notice", "This is most likely due to the current "
                                            "LimitUIDRange setting.")
            err = True
        else:
            if STATE.caps:
                # setuid from a uid other than 0 keeps the capabilities: drop them
                try:
                    caps.set_caps(())
                except OSError:
                    pass
            STATE.setuid = True
            _watch_parent()             # the owner of the pipe's signal is now this user
            if STATE.score is not None:
                STATE.score.set_identity(os.getuid(), os.getgid())
    if err:
        if STATE.setuid:
            # most likely another uid within a persistent connection: the RFCs let us
            # close the connection at any time
            _log(process, "warn", "Couldn't set uid/gid/priority, closing connection.")
            _close_connection(r)
        return HTTP_INTERNAL_SERVER_ERROR
    return OK


def itk_dirwalk_stat(r: Any, path: str, follow: bool) -> Any:
    """dirwalk_stat (itk_dirwalk_stat): once this process has become a user, a path it
    may not look at ends the connection instead of answering 403, since the request
    would likely succeed on a new connection (whose process starts as root)."""
    try:
        return os.stat(fs_path(path)) if follow else os.lstat(fs_path(path))
    except PermissionError as e:
        if STATE.setuid and r.main is None:
            log_rerror(r, TAG, "warn", f"({e.errno}){os.strerror(e.errno)}: Couldn't read "
                                       f"{path}, closing connection.")
            _close_connection(r)
        raise


# -- what mpm-itk adds to the reports -----------------------------------------------------

def itk_status(r: Any, flags: int) -> Optional[str]:
    """status_hook: the uid and gid each live slot's process serves under."""
    sb = getattr(r.process, "scoreboard", None)
    if sb is None or flags & AP_STATUS_SHORT:
        return None
    mpm = r.process.registry.mpm
    limit = mpm.mpm.query(MPMQ.HARD_LIMIT_DAEMONS, r.process.mpm_state) if mpm else 0
    rows = []
    for i in range(limit or 0):
        ws = sb.worker(i, 0)
        if ws.pid and ws.status not in ".":
            rows.append(f"<tr><td>{i}</td><td>{ws.pid}</td><td>{ws.status}</td>"
                        f"<td>{ws.uid}</td><td>{escape(user_name_of(ws.uid))}</td>"
                        f"<td>{ws.gid}</td></tr>\n")
    return ("<hr /><h2>mpm-itk</h2>\n<table border=\"0\"><tr><th>Srv</th><th>PID</th>"
            "<th>M</th><th>UID</th><th>User</th><th>GID</th></tr>\n" + "".join(rows)
            + "</table>\n")


def itk_dump_config(process: Any, server: Any) -> None:
    """test_config: under DUMP_VHOSTS (-S), the user each server is assigned."""
    if not process.is_defined("DUMP_VHOSTS"):
        return
    lines = []
    for s in [process.main_server] + list(process.vhosts):
        dconf = s.lookup_defaults.get(NAME)
        if dconf is None or dconf.username is None:
            continue
        core = s.module_config.get(CORE_MODULE)
        name = getattr(core, "server_hostname", None) or "localhost"
        where = (f" ({s.defn_name}:{s.defn_line})" if getattr(s, "defn_name", None)
                 else "")
        lines.append(f"{'':8} {name}{where} AssignUserID {dconf.username} "
                     f"(uid {dconf.uid}) gid {dconf.gid}\n")
    if lines:
        sys.stdout.write("mpm-itk AssignUserID:\n" + "".join(lines))
