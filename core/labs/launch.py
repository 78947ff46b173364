"""How sandbox children start: spawned fresh (`python -I -B child.py run`), or forked from a
numpy-warm fork-server (`... zygote`) that never runs learner code itself. Both give the server a Child: its pid
(also its process group), a pidfd where the kernel has them, the three pipe ends the server keeps, and a way to
reap it that never holds the shared fork-server channel while one child takes its time to die."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHILD = Path(__file__).with_name("child.py")
REQUEST_TIMEOUT_S = 5.0  # the fork-server answers every request at once; longer means it is wedged
REAP_WAIT_S = 2.0  # how long the server waits (on the pidfd, holding no lock) for a killed child to be gone


def _pidfd(pid: int) -> int | None:
    """A pidfd names this very process even if its pid is reused later (Linux 5.3+); None elsewhere."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _close(fd: int | None) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


@dataclass
class Child:
    pid: int
    job_w: int  # owned by the thread that writes the job: it closes it
    proto_r: int
    out_r: int
    reap: Callable[..., int | None]  # (seconds to wait) -> exit status (negative: signal), None if unknown
    pidfd: int | None = None
    _closed: bool = field(default=False, repr=False)

    def kill(self) -> None:
        """SIGKILL by pidfd, by pid and by process group: code that left its group is still reached. The pid is
        used only while the pidfd says the process is still there (alive or a zombie, so the pid is not reused):
        its parent reaps it only in `reap()`, but a fork-server that died leaves it to init."""
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                return  # gone and reaped: its pid may already name another process
            except OSError:
                pass
        for send in (os.kill, os.killpg):
            try:
                send(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def close(self) -> None:
        """The server's pipe ends and the pidfd; safe to call more than once."""
        if not self._closed:
            self._closed = True
            for fd in (self.proto_r, self.out_r, self.pidfd):
                _close(fd)


def _pipes() -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    fds: list[tuple[int, int]] = []
    try:
        for _ in range(3):
            fds.append(os.pipe())
    except BaseException:
        for pair in fds:
            for fd in pair:
                _close(fd)
        raise
    return fds[0], fds[1], fds[2]


@contextmanager
def _child_pipes() -> Iterator[tuple[int, int, int, int, int, int]]:
    """(job_r, job_w, proto_r, proto_w, out_r, out_w): the child's ends (job_r, proto_w, out_w) are closed here once
    the child has them, whatever happens; the parent's ends are closed too if starting the child fails."""
    (job_r, job_w), (proto_r, proto_w), (out_r, out_w) = _pipes()
    try:
        yield job_r, job_w, proto_r, proto_w, out_r, out_w
    except BaseException:
        for fd in (job_w, proto_r, out_r):
            _close(fd)
        raise
    finally:
        for fd in (job_r, proto_w, out_w):
            _close(fd)


def spawn_child(workdir: str) -> Child:
    with _child_pipes() as (job_r, job_w, proto_r, proto_w, out_r, out_w):
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(CHILD), "run", str(proto_w)],
            stdin=job_r, stdout=out_w, stderr=out_w, pass_fds=(proto_w,), env={}, cwd=workdir,
            start_new_session=True, close_fds=True,
        )

    def reap(timeout: float = REAP_WAIT_S) -> int | None:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    return Child(proc.pid, job_w, proto_r, out_r, reap, _pidfd(proc.pid))


class ForkServer:
    """One long-lived, numpy-warm zygote (itself trusted: it never runs learner code) that forks children.

    Its channel is shared by every submission, so each request is answered at once: a reap never waits for a
    child to exit (the server waits on the child's pidfd first, holding no lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._dir = tempfile.mkdtemp(prefix="rnn-lab-zygote-")
        self.restarts = 0  # fresh fork-servers after the first (a wedged or killed one is replaced)

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(CHILD), "zygote", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), env={}, cwd=self._dir, start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        try:
            ours.settimeout(30)
            ready = json.loads(ours.recv(4096) or b"{}")
            if not ready.get("ready"):
                raise OSError("the fork-server did not start")
        except BaseException:
            ours.close()
            self._stop_process()
            raise
        ours.settimeout(REQUEST_TIMEOUT_S)
        self._sock = ours

    def _request(self, message: dict, fds: list[int] | None = None) -> dict:
        if self._sock is None or self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self.restarts += 1
            self.close()
            self._start()
        try:
            socket.send_fds(self._sock, [json.dumps(message).encode()], fds or [])
            reply = self._sock.recv(4096)
            if not reply:
                raise OSError("the fork-server closed its channel")
            return json.loads(reply)
        except (OSError, ValueError):
            self.close()
            raise

    def spawn(self, workdir: str) -> Child:
        with _child_pipes() as (job_r, job_w, proto_r, proto_w, out_r, out_w), self._lock:
            pid = int(self._request({"op": "spawn", "cwd": workdir}, [job_r, proto_w, out_w])["pid"])
        pidfd = _pidfd(pid)  # the child cannot be reaped before we ask, so this is the right process

        def reap(timeout: float = REAP_WAIT_S) -> int | None:
            if pidfd is not None:  # readable once it has exited; poll(), as select() refuses fds of 1024 or more
                try:
                    waiter = select.poll()
                    waiter.register(pidfd, select.POLLIN)
                    waiter.poll(max(0, int(timeout * 1000)))
                except (OSError, ValueError):
                    pass
            with self._lock:
                return self._request({"op": "reap", "pid": pid}).get("status")

        return Child(pid, job_w, proto_r, out_r, reap, pidfd)

    def ensure_started(self) -> None:
        with self._lock:
            if self.pid is None:
                self._start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def _stop_process(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:  # not reaped yet: its pid and group cannot name another process
                for send in (os.killpg, os.kill):
                    try:
                        send(self._proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._stop_process()

    def shutdown(self) -> None:
        """Stop the fork-server for good and remove its working directory."""
        with self._lock:
            self.close()
        shutil.rmtree(self._dir, ignore_errors=True)
