"""Piped logs: how the program is started (as Apache 2.4 does: ``|prog`` and ``||prog``
without a shell, ``|$cmd`` through /bin/sh -c), and reliable restarts."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from httpd.log import piped
from httpd.log.piped import PipedLog, open_piped_log, parse_program, tokenize_to_argv


def wait_for(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def messages():
    out: list[str] = []
    yield out


@pytest.fixture
def opened():
    logs: list[PipedLog] = []
    yield logs
    for pl in logs:
        pl.close()


class TestTokenize:
    @pytest.mark.parametrize("text,argv", [
        ("/bin/cat", ["/bin/cat"]),
        ("  a   b\tc  ", ["a", "b", "c"]),
        ("/bin/sh -c 'cat > /x/y'", ["/bin/sh", "-c", "cat > /x/y"]),
        ('prog "two words" x', ["prog", "two words", "x"]),
        (r"a\ b c", ["a b", "c"]),
        (r'a\"b', ['a"b']),
        (r"a\b", ["ab"]),                 # an unescaped backslash is dropped
        (r"a\\b", ["a\\b"]),
        ('"ab"cd', ["ab", "cd"]),
        ("", []),
    ])
    def test_apr_tokenize_to_argv(self, text, argv):
        assert tokenize_to_argv(text) == argv

    @pytest.mark.parametrize("text,program,shell", [
        ("/bin/cat", "/bin/cat", False),
        ("|/bin/cat", "/bin/cat", False),     # the 2.2 spelling
        ("$cat > x", "cat > x", True),
        ("|$cat", "cat", True),
    ])
    def test_parse_program(self, text, program, shell):
        assert parse_program(text) == (program, shell)


class TestStart:
    def test_direct_program(self, tmp_path, opened):
        out = tmp_path / "out"
        pl = open_piped_log(f"/bin/sh -c 'cat > {out}'", cwd=str(tmp_path))
        opened.append(pl)
        assert pl.error is None and pl.argv() == ["/bin/sh", "-c", f"cat > {out}"]
        pl.write(b"one\n")
        assert wait_for(lambda: out.exists() and out.read_bytes() == b"one\n")

    def test_a_closed_log_leaves_the_open_list(self, tmp_path, opened):
        """Each restart opens its generation's piped logs and closes the old ones: the
        closed ones must not stay listed (child_init walks the list in every child)."""
        pl = open_piped_log("/bin/sh -c 'cat > /dev/null'", cwd=str(tmp_path))
        opened.append(pl)
        assert pl in piped._OPEN
        pl.close()
        assert pl not in piped._OPEN
        pl.close()                  # closing twice is harmless

    def test_shell_command(self, tmp_path, opened):
        pl = open_piped_log("$cat > shell_out", cwd=str(tmp_path))
        opened.append(pl)
        assert pl.argv() == ["/bin/sh", "-c", "cat > shell_out"]
        pl.write(b"via the shell\n")
        out = tmp_path / "shell_out"           # relative to ServerRoot
        assert wait_for(lambda: out.exists() and out.read_bytes() == b"via the shell\n")

    def test_no_path_search(self, tmp_path, messages):
        # Apache execs the program as named: "|cat" is ServerRoot/cat, which is missing
        pl = open_piped_log("cat", cwd=str(tmp_path), log=messages.append)
        assert pl.error is not None
        assert messages == ["(2)No such file or directory: AH00104: unable to start piped "
                            "log program 'cat'"]

    def test_quiet_failure_for_the_error_log(self, tmp_path, messages):
        pl = open_piped_log("nonexistent-prog", cwd=str(tmp_path), log=messages.append,
                            report=False)
        assert pl.error.errno == 2 and messages == []

    def test_program_runs_in_server_root_with_our_environment(self, tmp_path, opened,
                                                             monkeypatch):
        monkeypatch.setenv("PIPED_TEST_VAR", "seen")
        pl = open_piped_log("$pwd > where; echo $PIPED_TEST_VAR >> where; cat >/dev/null",
                            cwd=str(tmp_path))
        opened.append(pl)
        where = tmp_path / "where"
        assert wait_for(lambda: where.exists() and where.read_text().count("\n") == 2)
        assert where.read_text() == f"{tmp_path}\nseen\n"


class TestReliable:
    def test_restarted_on_the_same_pipe(self, tmp_path, opened, messages):
        out = tmp_path / "out"
        program = f"/bin/sh -c 'cat >> {out}'"
        pl = open_piped_log(program, cwd=str(tmp_path), log=messages.append)
        opened.append(pl)
        pl.write(b"before\n")
        assert wait_for(lambda: out.exists() and out.read_bytes() == b"before\n")
        first = pl.pid
        time.sleep(piped.RESPAWN_PAUSE)        # a program that lived: no pause before
        os.kill(first, signal.SIGKILL)
        # lines written while the program is down wait in the pipe
        pl.write(b"while down\n")
        assert wait_for(lambda: pl.pid != first and pl.restarts == 1)
        pl.write(b"after\n")
        assert wait_for(lambda: out.read_bytes() == b"before\nwhile down\nafter\n")
        assert messages == [f"AH00106: piped log program '{program}' failed unexpectedly"]

    def test_a_failing_program_is_not_restarted_in_a_busy_loop(self, tmp_path, opened,
                                                              messages):
        pl = open_piped_log("/bin/true", cwd=str(tmp_path), log=messages.append)
        opened.append(pl)
        time.sleep(1.5)
        assert 1 <= pl.restarts <= 2

    def test_close_stops_the_program_for_good(self, tmp_path, messages):
        pl = open_piped_log("/bin/cat", cwd=str(tmp_path), log=messages.append)
        proc = pl.proc
        pl.close()
        assert proc.poll() is not None
        time.sleep(0.2)
        assert messages == [] and pl.restarts == 0
        assert pl.write_fd == -1 and pl.read_fd == -1

    def test_a_child_does_not_stop_the_parents_program(self, tmp_path):
        pl = open_piped_log("/bin/cat", cwd=str(tmp_path))
        try:
            pl.child_init()                    # as in a forked child
            assert pl.read_fd == -1
            pl.close()
            assert pl.proc.poll() is None      # still the parent's to stop
        finally:
            pl.proc.kill()
            pl.proc.wait()


def test_shell_out_is_a_file(tmp_path: Path):
    # the shell variant is what lets "> file" work; without it the words go to argv
    pl = PipedLog("/bin/echo > x", cwd=str(tmp_path))
    assert pl.argv() == ["/bin/echo", ">", "x"]
