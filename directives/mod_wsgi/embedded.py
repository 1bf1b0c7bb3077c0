"""Running a WSGI application in this process: loading scripts (once per process and
application group, again when the file changes and WSGIScriptReloading is On), and the
PEP 3333 adapter (wsgi.input, start_response, write(), wsgi.errors, wsgi.file_wrapper).

The same adapter serves embedded mode (``Adapter`` over the request record) and the
daemon processes (daemon.py gives it a transport of its own): ``run_app`` calls the
application, collects status and headers, and returns the iterable that makes the body.
"""
from __future__ import annotations

import hashlib
import os
import sys
import threading
import traceback
import types
from typing import Any, Callable, Iterable, Optional
from httpd.util.fspath import fs_path

# -- scripts -------------------------------------------------------------------------------


class ScriptError(Exception):
    """The script could not be loaded, or has no callable of that name: ``lines`` is what
    goes to the error log."""

    def __init__(self, lines: list):
        super().__init__(lines[0] if lines else "")
        self.lines = lines


_MODULES: dict = {}           # (application group, path) -> (module, mtime)
_LOCK = threading.RLock()


def module_name(path: str) -> str:
    """mod_wsgi's name for a script's module: _mod_wsgi_ + the md5 of the path."""
    return "_mod_wsgi_" + hashlib.md5(path.encode("utf-8", "surrogateescape")).hexdigest()


def load_script(path: str, application_group: str, mtime: Optional[float],
                reloading: bool) -> types.ModuleType:
    """The script's module for ``application_group``: loaded once, reloaded when its
    mtime changed (with ``reloading``).  Raises ScriptError with mod_wsgi's lines."""
    key = (application_group, path)
    found = _MODULES.get(key)
    if found is not None and (not reloading or mtime is None or found[1] == mtime):
        return found[0]
    with _LOCK:
        found = _MODULES.get(key)
        if found is not None and (not reloading or mtime is None or found[1] == mtime):
            return found[0]
        pid = os.getpid()
        if found is not None:
            lines = [f"mod_wsgi (pid={pid}): Reloading WSGI script '{path}'."]
        else:
            lines = []
        name = module_name(path)
        module = types.ModuleType(name)
        module.__file__ = path
        module.__mod_wsgi_application_group__ = application_group
        try:
            with open(fs_path(path), "rb") as f:
                source = f.read()
            if mtime is None:
                mtime = os.stat(fs_path(path)).st_mtime
            code = compile(source, path, "exec", dont_inherit=True)
            sys.modules[name] = module
            exec(code, module.__dict__)
        except Exception:
            sys.modules.pop(name, None)
            raise ScriptError(lines + [
                f"mod_wsgi (pid={pid}): Failed to exec Python script file '{path}'.",
                f"mod_wsgi (pid={pid}): Exception occurred processing WSGI script "
                f"'{path}'."] + traceback_lines()) from None
        _MODULES[key] = (module, mtime)
        module.__mod_wsgi_lines__ = lines
        return module


def find_callable(module: types.ModuleType, path: str, name: str) -> Callable:
    app = getattr(module, name, None)
    if app is None:
        raise ScriptError([f"mod_wsgi (pid={os.getpid()}): Target WSGI script '{path}' does "
                           f"not contain WSGI application '{name}'."])
    return app


def add_python_path(paths: list) -> None:
    """WSGIPythonPath / python-path= (python-home's site-packages too): each directory
    first on sys.path, in order, with its .pth files read (site.addsitedir, as
    mod_wsgi does)."""
    import site
    for p in reversed(paths):
        site.addsitedir(p)
        if p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)


def traceback_lines() -> list:
    out = []
    for chunk in traceback.format_exception(*sys.exc_info()):
        out.extend(chunk.rstrip("\n").split("\n"))
    return out


# -- the PEP 3333 objects ----------------------------------------------------------------

class Input:
    """wsgi.input over ``read(n)`` (the request body: b"" at its end, never blocking past
    it).  A read error of the body becomes OSError, mod_wsgi's "request data read
    error", and ``error_status`` keeps the status the server would answer."""

    def __init__(self, read: Callable[[int], bytes]):
        self._read = read
        self._buf = b""
        self._done = False
        self.error_status = 0

    def _fill(self, n: int) -> bytes:
        if self._done:
            return b""
        try:
            data = self._read(n)
        except Exception as e:
            self._done = True
            self.error_status = getattr(e, "status", 400)
            raise OSError("request data read error") from None
        if not data:
            self._done = True
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            out = [self._buf]
            self._buf = b""
            while True:
                data = self._fill(65536)
                if not data:
                    break
                out.append(data)
            return b"".join(out)
        if len(self._buf) >= size:
            out, self._buf = self._buf[:size], self._buf[size:]
            return out
        need = size - len(self._buf)
        data = self._fill(need)
        out, self._buf = self._buf + data, b""
        return out

    def readline(self, size: int = -1) -> bytes:
        while True:
            i = self._buf.find(b"\n")
            if i >= 0 and (size is None or size < 0 or i < size):
                out, self._buf = self._buf[:i + 1], self._buf[i + 1:]
                return out
            if size is not None and 0 <= size <= len(self._buf):
                out, self._buf = self._buf[:size], self._buf[size:]
                return out
            data = self._fill(8192)
            if not data:
                out, self._buf = self._buf, b""
                return out
            self._buf += data

    def readlines(self, hint: int = -1) -> list:
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        pass


class ErrorStream:
    """wsgi.errors: each complete line goes to the error log through ``emit``."""

    def __init__(self, emit: Callable[[str], None]):
        self._emit = emit
        self._buf = ""

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self._buf += s
        if "\n" in self._buf:
            *lines, self._buf = self._buf.split("\n")
            for line in lines:
                self._emit(line)
        return len(s)

    def writelines(self, seq: Iterable[str]) -> None:
        for s in seq:
            self.write(s)

    def flush(self) -> None:
        if self._buf:
            line, self._buf = self._buf, ""
            self._emit(line)

    def close(self) -> None:
        self.flush()


class FileWrapper:
    """wsgi.file_wrapper: iterates the file in blocks; a real file with a descriptor
    is sent with sendfile by the server (``sendfile_source``)."""

    def __init__(self, filelike: Any, blksize: int = 8192):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        read = self.filelike.read
        while True:
            data = read(self.blksize)
            if not data:
                return
            yield data

    def sendfile_source(self) -> Optional[tuple[int, int, int]]:
        """(fd, offset, length to the end) of a regular file, or None."""
        try:
            fd = self.filelike.fileno()
            st = os.fstat(fd)
        except (AttributeError, OSError, ValueError):
            return None
        import stat
        if not stat.S_ISREG(st.st_mode):
            return None
        try:
            offset = self.filelike.tell()
        except (AttributeError, OSError, ValueError):
            return None
        return fd, offset, max(st.st_size - offset, 0)


# response header names found valid (exact str, no newline, colon or space), bounded
_GOOD_NAMES: set = set()
_GOOD_NAMES_MAX = 4096


def _check_name(name: Any, value: Any) -> None:
    """start_response's checks of a header name, remembered when it passes."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError("expected unicode object for header name and value")
    if "\n" in name or "\r" in name or ":" in name or " " in name:
        raise ValueError(f"embedded newline or invalid character in response "
                         f"header name '{name}'")
    if name.__class__ is str:           # (a subclass could compare equal yet differ)
        if len(_GOOD_NAMES) >= _GOOD_NAMES_MAX:
            _GOOD_NAMES.clear()
        _GOOD_NAMES.add(name)


# status lines found valid (exact str), bounded
_GOOD_STATUSES: set = set()


def _check_status(status: Any) -> None:
    """start_response's checks of the status line, remembered when it passes."""
    if not isinstance(status, str):
        raise TypeError(f"expected unicode object, value of type "
                        f"{type(status).__name__} found")
    if len(status) < 4 or not status[:3].isdigit() or status[3] != " ":
        raise ValueError(f"status '{status}' is not a valid WSGI status line")
    if status.__class__ is str:
        if len(_GOOD_STATUSES) >= _GOOD_NAMES_MAX:
            _GOOD_STATUSES.clear()
        _GOOD_STATUSES.add(status)


class Response:
    """start_response and write() for one request: the status and headers the
    application gave, and what it wrote before returning."""

    __slots__ = ("status", "headers", "written", "sent")

    def __init__(self) -> None:
        self.status: Optional[str] = None
        self.headers: Optional[list] = None
        self.written: list = []
        self.sent = False        # the head is on its way (the first body bytes exist)

    def start_response(self, status: str, headers: list, exc_info: Any = None):
        if exc_info is not None:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("headers have already been set")
        if status.__class__ is not str or status not in _GOOD_STATUSES:   # (seen valid)
            _check_status(status)
        if headers.__class__ is not list and not isinstance(headers, list):
            raise TypeError("response headers must be a list")
        good = _GOOD_NAMES
        for item in headers:
            if item.__class__ is not tuple and not isinstance(item, tuple) or len(item) != 2:
                raise TypeError("list of tuple values expected")
            name, value = item
            if name.__class__ is not str or name not in good:   # (seen valid: valid)
                _check_name(name, value)
            if value.__class__ is not str:
                if not isinstance(value, str):
                    raise TypeError("expected unicode object for header name and value")
            if "\n" in value or "\r" in value:
                raise ValueError(f"embedded newline in response header with name "
                                 f"'{name}' and value '{value}'")
        self.status, self.headers = status, headers
        return self.write

    def write(self, data: bytes) -> None:
        if self.status is None:
            raise RuntimeError("response has not been started")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"expected a bytes-like object, not {type(data).__name__}")
        if data:
            self.sent = True
            self.written.append(bytes(data))


def first_chunk(result: Iterable, resp: Response) -> tuple[Any, Optional[bytes]]:
    """Start the application's iterable: (iterator, the first non-empty chunk or None
    at its end).  The head may go out only then (PEP 3333)."""
    it = iter(result)
    for chunk in it:
        if not isinstance(chunk, (bytes, bytearray)):
            raise TypeError(f"sequence of byte string values expected, value of type "
                            f"{type(chunk).__name__} found")
        if chunk:
            resp.sent = True
            return it, bytes(chunk)
    return it, None


def close_iterable(result: Any, log: Callable[[list], None]) -> None:
    """The application's close(), whatever happened to the response; what it raises is
    logged."""
    close = getattr(result, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        log([f"mod_wsgi (pid={os.getpid()}): Exception occurred closing the WSGI "
             "iterable."] + traceback_lines())
