"""deploy/haproxy.cfg, rendered for the test's ports the way deploy/run_replicas.sh renders it, is a valid HAProxy
configuration that keeps a browser on its replica by HAProxy's own cookie."""

import os
import shutil
import subprocess

import pytest

from tests.deploy.cluster import COOKIE, render_haproxy


def test_the_rendered_config_lists_exactly_the_given_replicas():
    cfg = render_haproxy([("app1", 41001), ("app2", 41002), ("app3", 41003)])
    servers = [line.split()[1:3] for line in cfg.splitlines() if line.strip().startswith("server ")]
    assert servers == [["app1", "127.0.0.1:41001"], ["app2", "127.0.0.1:41002"], ["app3", "127.0.0.1:41003"]]
    assert f"cookie {COOKIE} insert indirect nocache httponly" in cfg and "option redispatch" in cfg


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy not installed (apt-get install haproxy)")
def test_haproxy_accepts_the_rendered_config(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(render_haproxy([("app1", 41001), ("app2", 41002)]))
    env = {**os.environ, "PROXY_PORT": "41000", "PROXY_BIND": "127.0.0.1"}
    done = subprocess.run(["haproxy", "-c", "-f", str(path)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
