"""Piped logs (server/log.c: ap_open_piped_log), Apache's "reliable piped logs".

``CustomLog "|prog args"`` and ``ErrorLog "|prog args"`` start ``prog`` with the read end
of a pipe as its standard input.  As in Apache 2.4:

* ``|prog args`` and ``||prog args`` run the program directly (no shell); the words are
  split by :func:`tokenize_to_argv` (apr_tokenize_to_argv: quotes and backslashes);
* ``|$command`` runs ``/bin/sh -c command``;
* the program runs in ServerRoot with the server's environment;
* the server keeps *both* ends of the pipe.  When the program dies, a new one is
  started on the same pipe (``AH00106``), so writers (the children, which inherited the
  write end) never notice, and lines written meanwhile wait in the pipe.

The parent watches each program with a small thread (Apache's other-child maintenance
runs in the parent's loop for the same purpose).  A forked child calls :func:`child_init`
(ap_logs_child_init, through the core's child_init hook): it closes the read ends there,
and marks the loggers as not the child's to stop.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import Callable, Optional

SHELL = "/bin/sh"
RESPAWN_PAUSE = 1.0        # a program that dies within this many seconds waits as long


def tokenize_to_argv(text: str) -> list[str]:
    """apr_tokenize_to_argv: words split on blanks, ``"..."`` and ``'...'`` group, and a
    backslash escapes a blank or a quote; every unescaped backslash is then dropped."""
    args: list[str] = []
    i, n = 0, len(text)
    while i < n and text[i] in " \t":
        i += 1
    while i < n:
        quote = ""
        if text[i] in "\"'":
            quote = text[i]
            i += 1
        start = i
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and text[i + 1] in " \t\"'":
                i += 2
                continue
            if (c == quote) if quote else c in " \t":
                break
            i += 1
        out, escaped = [], False
        for c in text[start:i]:
            if c == "\\" and not escaped:
                escaped = True
            else:
                escaped = False
                out.append(c)
        args.append("".join(out))
        i += 1                       # the blank or closing quote that ended the word
        while i < n and text[i] in " \t":
            i += 1
    return args


def parse_program(text: str) -> tuple[str, bool]:
    """What follows the ``|`` of a log name: (program, run it through the shell?).

    A second ``|`` is the 2.2 spelling and means the same; ``$`` asks for the shell."""
    if text.startswith("|"):
        text = text[1:]
    if text.startswith("$"):
        return text[1:], True
    return text, False


def _stderr_message(msg: str) -> None:
    import sys
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class PipedLog:
    """One piped log program and the pipe it reads (struct piped_log).

    ``log`` receives Apache's start-up style messages (AH00104, AH00106, AH00107).
    """

    def __init__(self, program: str, shell: bool = False, cwd: Optional[str] = None,
                 reliable: bool = True, log: Optional[Callable[[str], None]] = None):
        self.program = program
        self.shell = shell
        self.cwd = cwd
        self.reliable = reliable
        self.log = log or _stderr_message
        self.proc: Optional[subprocess.Popen] = None
        self.owner = os.getpid()
        self.stopping = False
        self.restarts = 0
        self.error: Optional[OSError] = None
        # Both ends stay open here: the read end is what makes the pipe outlive the
        # program.  Neither is inherited by other programs (PEP 446).
        self.read_fd, self.write_fd = os.pipe()
        self._watcher: Optional[threading.Thread] = None

    # -- the program -------------------------------------------------------------------
    def argv(self) -> list[str]:
        args = tokenize_to_argv(self.program)
        if self.shell:
            # APR_SHELLCMD_ENV joins the words again and hands them to the shell
            return [SHELL, "-c", " ".join(args)]
        return args

    def spawn(self) -> None:
        """piped_log_spawn; raises OSError when the program cannot be started."""
        if self.read_fd < 0:
            raise OSError(9, os.strerror(9))     # closed meanwhile
        argv = self.argv()
        if not argv:
            raise FileNotFoundError(2, os.strerror(2))
        # execv, as APR_PROGRAM_ENV: no PATH search, a bare name is relative to the
        # working directory (ServerRoot), so "|cat" fails as it does in Apache
        exe = argv[0] if "/" in argv[0] else "./" + argv[0]
        self.proc = subprocess.Popen(argv, executable=exe, stdin=self.read_fd, cwd=self.cwd,
                                     close_fds=True)

    def start(self, report: bool = True) -> bool:
        """Start the program (and its watcher); False when it cannot run (logged as
        AH00104 when ``report``; the error is kept in ``self.error``)."""
        try:
            self.spawn()
        except OSError as e:
            self.error = e
            if report:
                self.log(f"({e.errno}){os.strerror(e.errno or 0)}: AH00104: unable to "
                         f"start piped log program '{self.program}'")
            self.close()
            return False
        if self.reliable:
            self._watcher = threading.Thread(target=self._watch, name="piped-log",
                                             daemon=True)
            self._watcher.start()
        return True

    def _watch(self) -> None:
        """piped_log_maintenance: on the program's death, start it again."""
        while True:
            proc = self.proc
            if proc is None:
                return
            born = time.monotonic()
            proc.wait()
            if self.stopping or os.getpid() != self.owner:
                return
            self.log(f"AH00106: piped log program '{self.program}' failed unexpectedly")
            lived = time.monotonic() - born
            if lived < RESPAWN_PAUSE:
                time.sleep(RESPAWN_PAUSE - lived)   # no busy loop on a program that fails
                if self.stopping:
                    return
            try:
                self.spawn()
            except OSError as e:
                self.proc = None
                self.log(f"({e.errno}){os.strerror(e.errno or 0)}: AH00107: "
                         f"piped_log_maintenance: unable to respawn '{self.program}'")
                return
            self.restarts += 1

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc is not None else None

    # -- writing -----------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """All of ``data`` to the pipe (one write when it is at most PIPE_BUF)."""
        view = memoryview(data)
        while view:
            n = os.write(self.write_fd, view)
            view = view[n:]

    # -- the end -----------------------------------------------------------------------
    def child_init(self) -> None:
        """In a forked child: the read end is the parent's business."""
        self.owner = -1
        self._close_fd("read_fd")

    def _close_fd(self, name: str) -> None:
        fd = getattr(self, name)
        if fd >= 0:
            setattr(self, name, -1)
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        """piped_log_cleanup: stop the program (only in the process that owns it, with
        SIGTERM as Apache does) and close both ends; a closed log leaves the list of
        open ones, so a restart's old generation is not kept (or child_init'ed) for ever."""
        self.stopping = True
        try:
            _OPEN.remove(self)
        except ValueError:
            pass
        proc = self.proc
        if proc is not None and os.getpid() == self.owner:
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
        self._close_fd("write_fd")
        self._close_fd("read_fd")
        if proc is not None and os.getpid() == self.owner:
            try:
                proc.wait(timeout=2)
            except (subprocess.TimeoutExpired, OSError):
                pass


_OPEN: list[PipedLog] = []


def open_piped_log(text: str, cwd: Optional[str] = None, reliable: bool = True,
                   log: Optional[Callable[[str], None]] = None,
                   report: bool = True) -> PipedLog:
    """ap_open_piped_log: ``text`` is what follows the first ``|``.  When the program
    cannot be started, the result has ``error`` set (and AH00104 was logged, unless
    ``report`` is false: the error log words its own message)."""
    program, shell = parse_program(text)
    pl = PipedLog(program, shell, cwd, reliable, log)
    if not pl.start(report):
        return pl
    _OPEN.append(pl)
    return pl


def child_init() -> None:
    """ap_logs_child_init for every piped log a forked child inherited (the process that
    started a program keeps it: under -X that is the serving process)."""
    pid = os.getpid()
    for pl in _OPEN:
        if pl.owner != pid:
            pl.child_init()


