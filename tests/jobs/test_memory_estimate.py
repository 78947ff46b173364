"""The memory estimate shown before a run (and used to size a server) is within 25% of the resident memory a real
run adds, for the largest runs the budget allows (issue 18, item 6: it said 116 MB where 286 MB was measured)."""

import json
import subprocess
import sys

import pytest

from core.jobs import spec as job_spec
from core.jobs.registry import Budget, JobSpec, check_spec
from core.settings import REPO_ROOT

LARGEST = {  # the largest model of each kind under the 600k-parameter cap, at the largest batch, window and corpus
    "lstm": ("lstm", 2, 192, 64, 64, 128, 2_000_000),
    "gru": ("gru", 2, 224, 64, 64, 128, 2_000_000),
    "rnn": ("rnn", 2, 256, 64, 64, 128, 2_000_000),
}


def measure(*cfg) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.jobs.measure_memory", *map(str, cfg)], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_largest_runs_are_allowed_by_the_budget():
    for kind, layers, hidden, embed, batch, seq_len, _ in LARGEST.values():
        spec = JobSpec(owner="x", text="".join(chr(33 + i % 63) for i in range(5000)) + "\n ", corpus="c", kind=kind,
                       layers=layers, hidden=hidden, embed=embed, batch=batch, seq_len=seq_len)
        assert check_spec(spec, Budget()) == []


@pytest.mark.parametrize("kind", [
    "lstm",  # the run the issue measured
    pytest.param("gru", marks=pytest.mark.slow),
    pytest.param("rnn", marks=pytest.mark.slow),
])
def test_the_estimate_is_within_a_quarter_of_the_measured_memory_of_the_largest_run(kind):
    got = measure(*LARGEST[kind])
    assert got["params"] <= Budget().max_params
    assert abs(got["estimate_mb"] - got["measured_mb"]) <= 0.25 * got["measured_mb"], got


def test_the_estimate_grows_with_the_batch_the_window_the_model_and_the_text():
    base = JobSpec(owner="x", text="", corpus="c", hidden=128, layers=1, batch=32, seq_len=64)
    est = job_spec.estimate_memory_mb
    assert est(base, 65, 10_000) < est(JobSpec(**{**vars(base), "batch": 64}), 65, 10_000)
    assert est(base, 65, 10_000) < est(JobSpec(**{**vars(base), "seq_len": 128}), 65, 10_000)
    assert est(base, 65, 10_000) < est(JobSpec(**{**vars(base), "layers": 2}), 65, 10_000)
    assert est(base, 65, 10_000) < est(base, 65, 1_000_000) < est(base, 300, 1_000_000)
    assert est(JobSpec(**{**vars(base), "kind": "rnn"}), 65, 0) < est(base, 65, 0) < \
        est(JobSpec(**{**vars(base), "kind": "gru"}), 65, 0)
