"""Servers for the load bench: a throwaway database (SQLite in a temp folder, or a private PostgreSQL), then one
Streamlit process as tests/e2e starts it, or N replicas behind HAProxy started by `deploy/run_replicas.sh`."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from core.cohort import store
from tests import pg
from tests.e2e.server import ROOT, app_server

RUN_REPLICAS = ROOT / "deploy" / "run_replicas.sh"


@dataclass
class Target:
    url: str  # where learners connect: the proxy, or the one server
    replica_urls: list[str]  # each replica directly (the warm-up visits every one)
    pids: list[int]  # the Streamlit processes
    proxy_pid: int | None = None
    db_pids: list[int] = field(default_factory=list)  # a PostgreSQL server this machine runs (its backends below)
    label: str = ""


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL: "sqlite" (a file in a temp folder) or "postgres" (tests/pg.py's private server)."""
    if kind == "postgres":
        reason = pg.unavailable()
        if reason:
            raise RuntimeError(f"PostgreSQL unavailable: {reason}")
        with pg.postgres_server() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="rnn-load-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'course.db'}"


def postgres_pids(db_url: str) -> list[int]:
    """The postmaster listening on the URL's port, when it runs on this machine (its backends are its children)."""
    port = urllib.parse.urlsplit(db_url.replace("+psycopg", "")).port or 5432
    for p in psutil.process_iter(["name"]):
        if not (p.info["name"] or "").startswith("postgres"):
            continue
        try:
            if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in p.net_connections()):
                return [p.pid]
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
    return []


@contextmanager
def single(db_url: str) -> Iterator[Target]:
    """One Streamlit process, no proxy (the way tests/e2e starts it)."""
    store.open_store(db_url).engine.dispose()  # migrate before the server starts, as a deployment would
    with app_server(db_url, timeout=120) as (base, proc):
        yield Target(base, [base], [proc.pid], label="1 process, direct")


def _free_run(n: int) -> int:
    """A base port with n consecutive free loopback ports."""
    for _ in range(200):
        base = random.randint(20000, 40000)
        try:
            for port in range(base, base + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no run of free ports found")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def replicated(n: int, db_url: str, timeout: float = 180.0) -> Iterator[Target]:
    """`deploy/run_replicas.sh` with REPLICAS=n on free ports: n Streamlit processes and HAProxy in front."""
    base = _free_run(n + 1)
    proxy_port, first = base, base + 1
    run_dir = Path(tempfile.mkdtemp(prefix="rnn-replicas-"))
    env = {**os.environ, "REPLICAS": str(n), "BASE_PORT": str(first), "PROXY_PORT": str(proxy_port),
           "RNN_COURSE_DATABASE_URL": db_url, "RUN_DIR": str(run_dir)}
    log = open(run_dir / "run_replicas.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(["bash", str(RUN_REPLICAS)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proxy = f"http://127.0.0.1:{proxy_port}"
    urls = [f"http://127.0.0.1:{first + i}" for i in range(n)]
    try:
        deadline = time.monotonic() + timeout
        while not (all(_healthy(u) for u in urls) and _healthy(proxy)):
            if proc.poll() is not None or time.monotonic() > deadline:
                logs = "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}"
                                 for f in sorted(run_dir.glob("*.log")))
                raise RuntimeError(f"replicas did not come up:\n{logs}")
            time.sleep(0.5)
        kids = psutil.Process(proc.pid).children(recursive=True)
        pids = [k.pid for k in kids if "streamlit" in " ".join(k.cmdline())]
        proxy_pid = next((k.pid for k in kids if k.name() == "haproxy"), None)
        yield Target(proxy, urls, pids, proxy_pid, label=f"{n} replica{'s' if n > 1 else ''} behind HAProxy")
    finally:
        kids = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.send_signal(signal.SIGTERM)  # the script's trap stops what it started
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        for k in kids:  # anything the script left behind (by pid: only what it started)
            try:
                k.kill()
            except psutil.NoSuchProcess:
                pass
        log.close()
        shutil.rmtree(run_dir, ignore_errors=True)
