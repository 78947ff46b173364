"""A fresh Linux install of requirements.txt gets the CPU build of torch and no nvidia-* package, with uv (what
Community Cloud tries first) and with pip (its fallback).

The PyTorch wheel page cannot be reached from here, so a local stand-in serves it: a folder laid out like
download.pytorch.org/whl/cpu/ holding the CPU torch wheel and, like the real index, older copies of packages it
also hosts (numpy, jinja2). requirements.txt's --find-links line is pointed at the stand-in; everything else comes
from PyPI as on a real host. The same stand-in shows why the file does not use --extra-index-url: under uv's
default first-index strategy that index shadows numpy and the install fails.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from core.settings import REPO_ROOT

REAL_PAGE = "https://download.pytorch.org/whl/cpu/torch/"
CPU_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
SHADOWED = {"numpy": "numpy==2.2.6", "jinja2": "jinja2==3.1.4"}  # older than our pins, as on the real index


def _clean_env(tmp: Path) -> dict[str, str]:
    """The environment of a host that has never seen this machine's local wheel folder or pip cap."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", UV_CACHE_DIR=str(tmp / "uv-cache"),
               PIP_CACHE_DIR=str(tmp / "pip-cache"), UV_NO_CONFIG="1")
    return env


def _pypi_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/simple/uv/", timeout=10).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    if sys.platform != "linux" or not CPU_WHEEL.exists():
        pytest.skip(f"needs Linux and the CPU torch wheel at {CPU_WHEEL} to serve the stand-in index")
    if shutil.which("uv") is None and not (Path(sys.executable).parent / "uv").exists():
        pytest.skip("uv is not installed (requirements-dev.txt has it)")
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable from this machine")
    root = tmp_path_factory.mktemp("pytorch-index")
    env = _clean_env(root)
    cpu = root / "whl" / "cpu"
    (cpu / "torch").mkdir(parents=True)
    (cpu / "torch" / CPU_WHEEL.name).symlink_to(CPU_WHEEL)
    for name, pin in SHADOWED.items():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", pin, "-d", str(cpu / name)],
                       check=True, env=env, timeout=300)
    for folder in [p for p in cpu.iterdir() if p.is_dir()]:
        links = "".join(f'<a href="{urllib.parse.quote(f.name)}">{f.name}</a><br>' for f in sorted(folder.iterdir()))
        (folder / "index.html").write_text(f"<html><body>{links}</body></html>")
    (cpu / "index.html").write_text("".join(f'<a href="{p.name}/">{p.name}</a><br>' for p in cpu.iterdir()
                                            if p.is_dir()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", env, root
    server.shutdown()


def _requirements(base: str, folder: Path) -> Path:
    text = (REPO_ROOT / "requirements.txt").read_text()
    assert f"--find-links {REAL_PAGE}" in text, "requirements.txt no longer names the PyTorch CPU wheel page"
    out = folder / "requirements.txt"
    out.write_text(text.replace(REAL_PAGE, f"{base}/whl/cpu/torch/"))
    return out


def _uv() -> str:
    local = Path(sys.executable).parent / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def _uv_resolve(req: Path, env: dict, tmp: Path) -> subprocess.CompletedProcess:
    venv = tmp / "uv-venv"
    if not venv.exists():
        subprocess.run([_uv(), "venv", "-q", str(venv), "--python", sys.executable], check=True, env=env)
    return subprocess.run([_uv(), "pip", "install", "--dry-run", "-r", str(req), "--python", str(venv / "bin/python")],
                          capture_output=True, text=True, env=env, timeout=600)


def test_uv_resolves_requirements_to_the_cpu_torch_wheel_without_nvidia_packages(stand_in, tmp_path):
    base, env, _ = stand_in
    result = _uv_resolve(_requirements(base, tmp_path), env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    plan = result.stdout + result.stderr
    assert "+ torch==2.13.0+cpu" in plan
    assert "nvidia" not in plan.lower()
    assert "+ numpy==2.4.6" in plan and "+ jinja2==" in plan  # taken from PyPI, not the stand-in's old copies


def test_pip_resolves_requirements_to_the_cpu_torch_wheel_without_nvidia_packages(stand_in, tmp_path):
    base, env, _ = stand_in
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q",
                             "--report", str(report), "-r", str(_requirements(base, tmp_path))],
                            capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    installs = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    assert installs["torch"] == "2.13.0+cpu"
    assert not [n for n in installs if n.startswith("nvidia")]
    assert installs["numpy"] == "2.4.6"


def test_an_extra_index_url_would_break_uv_by_shadowing_numpy(stand_in, tmp_path):
    """Why requirements.txt uses --find-links: the DEPLOY recipe it replaces failed exactly like this."""
    base, env, _ = stand_in
    req = tmp_path / "extra-index.txt"
    req.write_text(f"--extra-index-url {base}/whl/cpu\ntorch==2.13.0+cpu\nnumpy==2.4.6\n")
    result = _uv_resolve(req, env, tmp_path)
    assert result.returncode != 0
    assert "numpy" in result.stderr and "first index" in result.stderr
