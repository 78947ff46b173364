"""What the sandbox tests share: the lab they grade (`double(x) -> 2 * x`), its tests, and the checks that a
run left no process or working directory behind."""


import os
import textwrap
import time

import numpy as np
import psutil

from core.labs import grader
from core.labs.grader import Test
from core.settings import REPO_ROOT

ROOT = REPO_ROOT
SECRET = "RNN_COURSE_TEST_SECRET"
X = np.arange(6, dtype=np.float64).reshape(2, 3)
QUICK = {"cpu_s": 0.2, "wall_s": 0.6}


def double_ok(v):
    if not isinstance(v, np.ndarray) or v.shape != X.shape:
        return f"expected an array of shape {X.shape}"
    return None if np.allclose(v, 2 * X) else "values differ from 2 * x"


TESTS = [Test("doubles a small array", (X,), check=double_ok, **QUICK),
         Test("doubles it again", (X,), check=double_ok, **QUICK)]
GOOD = "def double(x):\n    return 2 * x\n"





def run(sb, code: str, tests=TESTS, learner: str = "tester", **kwargs) -> grader.GradeReport:
    report = grader.grade(textwrap.dedent(code), "double", tests, params=("x",), learner=learner, **kwargs)
    assert_clean(sb)
    return report


def assert_clean(sb) -> None:
    """No sandbox child left running (fork-servers, direct children of this process, may stay; they must be
    idle), and no working directory left behind."""
    me = psutil.Process()

    def leftovers() -> list:
        found = []
        for p in me.children(recursive=True):
            try:
                cmd = " ".join(p.cmdline())
                if "labs/child.py" not in cmd or p.status() == psutil.STATUS_ZOMBIE:
                    continue
                if not (p.ppid() == me.pid and " zygote " in f"{cmd} "):
                    found.append((p.pid, cmd))
            except psutil.NoSuchProcess:
                continue
        return found

    deadline = time.monotonic() + 2
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leftovers(), f"leftover processes: {leftovers()}"
    assert os.listdir(sb._base) == [], "a working directory was left behind"


def messages(report) -> str:
    return " | ".join([report.message, report.detail] + [r.message + " " + r.detail for r in report.results])
