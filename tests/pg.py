"""A throwaway PostgreSQL server for tests: initdb in a temp dir, loopback port, removed afterwards.

Uses Debian's server binaries (`pg_ctl`, `initdb`); as root it runs them as the `postgres` user, since
PostgreSQL refuses to run as root. `unavailable()` says why a test must skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from glob import glob
from pathlib import Path

from tests.e2e.server import free_port


def _binary(name: str) -> str | None:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def unavailable() -> str | None:
    if not (_binary("pg_ctl") and _binary("initdb")):
        return "PostgreSQL server binaries (pg_ctl, initdb) not found: apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to run the server"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -r requirements.txt)"
    return None


@contextmanager
def postgres_server():
    """Yield a SQLAlchemy URL of a fresh, empty database on a private server."""
    tmp = Path(tempfile.mkdtemp(prefix="rnn-course-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for p in (tmp, sock):
            os.chown(p, user.pw_uid, user.pw_gid)
    port = free_port()
    prefix = _run_as()
    subprocess.run([*prefix, _binary("initdb"), "-D", str(data), "-U", "course", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=120"
    subprocess.run([*prefix, _binary("pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w",
                    "start"], check=True, capture_output=True)
    try:
        url = f"postgresql+psycopg://course@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 20
        import psycopg

        while True:
            try:
                with psycopg.connect(f"host=127.0.0.1 port={port} user=course dbname=postgres", autocommit=True) as c:
                    c.execute("CREATE DATABASE course_test")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url.rsplit("/", 1)[0] + "/course_test"
    finally:
        subprocess.run([*prefix, _binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
