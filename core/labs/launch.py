"""How sandbox children start: spawned fresh (`python -I -B child.py run`), or forked from a
numpy-warm fork-server (`... zygote`) that never runs learner code itself. Both give the server a Child: its pid
(also its process group), the three pipe ends the server keeps, and a way to reap it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHILD = Path(__file__).with_name("child.py")


@dataclass
class Child:
    pid: int
    job_w: int
    proto_r: int
    out_r: int
    reap: Any  # () -> exit status (negative: killed by that signal)

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _pipes() -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    return os.pipe(), os.pipe(), os.pipe()


def spawn_child(workdir: str) -> Child:
    (job_r, job_w), (proto_r, proto_w), (out_r, out_w) = _pipes()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(CHILD), "run", str(proto_w)],
            stdin=job_r, stdout=out_w, stderr=out_w, pass_fds=(proto_w,), env={}, cwd=workdir,
            start_new_session=True, close_fds=True,
        )
    finally:
        for fd in (job_r, proto_w, out_w):
            os.close(fd)
    return Child(proc.pid, job_w, proto_r, out_r, proc.wait)


class ForkServer:
    """One long-lived, numpy-warm zygote (itself trusted: it never runs learner code) that forks children."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._dir = tempfile.mkdtemp(prefix="rnn-lab-zygote-")

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(CHILD), "zygote", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), env={}, cwd=self._dir, start_new_session=True,
            )
        finally:
            theirs.close()
        ours.settimeout(30)
        ready = json.loads(ours.recv(4096) or b"{}")
        if not ready.get("ready"):
            raise OSError("the fork-server did not start")
        ours.settimeout(10)
        self._sock = ours

    def _request(self, message: dict, fds: list[int] | None = None) -> dict:
        if self._sock is None or self._proc is None or self._proc.poll() is not None:
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
        (job_r, job_w), (proto_r, proto_w), (out_r, out_w) = _pipes()
        try:
            with self._lock:
                pid = int(self._request({"op": "spawn", "cwd": workdir}, [job_r, proto_w, out_w])["pid"])
        except BaseException:
            for fd in (job_w, proto_r, out_r):
                os.close(fd)
            raise
        finally:
            for fd in (job_r, proto_w, out_w):
                os.close(fd)

        def reap() -> int | None:
            with self._lock:
                return self._request({"op": "reap", "pid": pid}).get("status")

        return Child(pid, job_w, proto_r, out_r, reap)

    def ensure_started(self) -> None:
        with self._lock:
            if self.pid is None:
                self._start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._proc.wait()
            self._proc = None

    def shutdown(self) -> None:
        """Stop the fork-server for good and remove its working directory."""
        self.close()
        shutil.rmtree(self._dir, ignore_errors=True)
