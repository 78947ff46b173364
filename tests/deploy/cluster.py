"""A hosted cohort on one machine, for the end-to-end replica tests: a private PostgreSQL (tests/pg.py), the broker
(the same PostgreSQL, or a throwaway `redis-server`), N Streamlit replicas on their own ports, one
`python -m core.jobs.worker`, and HAProxy in front with deploy/haproxy.cfg rendered for these ports (the server
lines between its markers, as deploy/run_replicas.sh writes them). Unlike run_replicas.sh (which stops everything
when one process dies) each process is started, killed and restarted on its own, so a test can crash a replica.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests import pg
from tests.e2e.server import ROOT, free_port

HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
COOKIE = "rnn_replica"  # HAProxy's sticky cookie (deploy/haproxy.cfg)


def unavailable(broker: str) -> str | None:
    """Why this machine cannot run the replica setup with `broker` ("postgresql" or "redis"), or None."""
    if shutil.which("haproxy") is None:
        return "HAProxy not installed (apt-get install haproxy)"
    reason = pg.unavailable()
    if reason:
        return f"PostgreSQL: {reason}"
    if broker == "redis" and shutil.which("redis-server") is None:
        return "redis-server not installed (apt-get install redis-server)"
    return None


def render_haproxy(servers: list[tuple[str, int]]) -> str:
    """deploy/haproxy.cfg with these (name, port) server lines between its BEGIN/END markers."""
    out, skip = [], False
    for line in HAPROXY_CFG.read_text().splitlines(keepends=True):
        if "# BEGIN servers" in line:
            out.append(line)
            out += [f"    server {name} 127.0.0.1:{port} check cookie {name}\n" for name, port in servers]
            skip = True
        elif "# END servers" in line:
            skip = False
            out.append(line)
        elif not skip:
            out.append(line)
    return "".join(out)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def wait_for(cond, timeout: float, what: str, interval: float = 0.25) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class Replica:
    name: str  # the HAProxy server name, also the value of its sticky cookie
    port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    run_dir: Path
    database: str
    broker: str
    env: dict[str, str]
    replicas: list[Replica] = field(default_factory=list)
    worker: subprocess.Popen | None = None
    proxy: subprocess.Popen | None = None
    proxy_port: int = 0
    _logs: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)

    def _log(self, name: str):
        f = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop_all
        self._logs.append(f)
        return f

    def start_replica(self, name: str, timeout: float = 240.0) -> None:
        r = self.replica(name)
        cmd = [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true", "--server.address",
               "127.0.0.1", "--server.port", str(r.port), "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # the command line of deploy/run_replicas.sh
        log = self._log(name)
        r.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: healthy(r.url) or r.proc.poll() is not None, timeout, f"replica {name} to start")
        if r.proc.poll() is not None:
            raise RuntimeError(f"replica {name} exited:\n{self.log_tail(name)}")

    def kill_replica(self, name: str) -> None:
        """A crash: SIGKILL, no clean shutdown."""
        r = self.replica(name)
        _stop(r.proc, signal.SIGKILL)

    def start_worker(self) -> None:
        self.worker = subprocess.Popen([sys.executable, "-m", "core.jobs.worker", "--stale-seconds", "15"], cwd=ROOT,
                                       env=self.env, stdout=self._log("worker"), stderr=subprocess.STDOUT)

    def start_proxy(self) -> None:
        cfg = self.run_dir / "haproxy.cfg"
        cfg.write_text(render_haproxy([(r.name, r.port) for r in self.replicas]))
        env = {**self.env, "PROXY_PORT": str(self.proxy_port), "PROXY_BIND": "127.0.0.1"}
        subprocess.run(["haproxy", "-c", "-q", "-f", str(cfg)], env=env, check=True)
        self.proxy = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], env=env, stdout=self._log("haproxy"),
                                      stderr=subprocess.STDOUT)
        wait_for(lambda: healthy(self.url), 30, "HAProxy")
        for r in self.replicas:
            self.wait_routed(r.name)

    def routed_to(self, name: str) -> str | None:
        """Which replica HAProxy sends a browser pinned to `name` (its cookie) now: `name` while that replica is
        up; another one (its cookie in Set-Cookie) once HAProxy has marked it down; None when nothing answers."""
        req = urllib.request.Request(f"{self.url}/_stcore/health", headers={"Cookie": f"{COOKIE}={name}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
                for value in resp.headers.get_all("Set-Cookie") or []:
                    if value.startswith(f"{COOKIE}="):
                        return value.split("=", 1)[1].split(";", 1)[0]
                return name
        except (urllib.error.URLError, OSError):
            return None

    def wait_routed(self, name: str, timeout: float = 60.0) -> None:
        """Until HAProxy's health checks have the replica up (after a start: `rise 2` checks, 2 s apart)."""
        wait_for(lambda: self.routed_to(name) == name, timeout, f"HAProxy to route to {name}")

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.run_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {p.stem}\n{self.log_tail(p.stem)}" for p in sorted(self.run_dir.glob("*.log")))

    def stop_all(self) -> None:
        for proc in [self.proxy, self.worker, *(r.proc for r in self.replicas)]:
            if proc is not None:
                _stop(proc)
        for f in self._logs:
            f.close()


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway Redis (no persistence) on a free loopback port; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--daemonize", "no"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    try:
        import redis

        client = redis.Redis(port=port)
        wait_for(lambda: _pings(client), 20, "redis-server")
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


@contextmanager
def cluster(broker: str, replicas: int = 2, extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """PostgreSQL, the broker ("postgresql": the database itself; "redis": a redis-server), `replicas` Streamlit
    processes, one training worker and HAProxy; everything stopped and removed afterwards."""
    from core.cohort.store import open_store

    with ExitStack() as stack:
        database = stack.enter_context(pg.postgres_server())
        broker_url = database if broker == "postgresql" else stack.enter_context(redis_server())
        run_dir = Path(tempfile.mkdtemp(prefix="rnn-deploy-test-"))
        stack.callback(shutil.rmtree, run_dir, ignore_errors=True)
        open_store(database).engine.dispose()  # migrate once before the replicas start, as run_replicas.sh does
        env = {**os.environ, "RNN_COURSE_DATABASE_URL": database, "RNN_COURSE_JOB_BROKER": broker_url,
               "RNN_COURSE_STATE_DIR": str(run_dir / "state"), "RNN_COURSE_TRAIN_JOBS": "1",
               "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32), "OMP_NUM_THREADS": "1",
               "PYTHONPATH": str(ROOT), **(extra_env or {})}
        c = Cluster(run_dir, database, broker_url, env, proxy_port=free_port())
        c.replicas = [Replica(f"app{i + 1}", free_port()) for i in range(replicas)]
        stack.callback(c.stop_all)
        c.start_worker()
        for r in c.replicas:
            c.start_replica(r.name)
        c.start_proxy()
        yield c
