"""Home never imports torch; the background warm-up loads torch and the shipped models the module pages open with."""

import json
import subprocess
import sys
import time

from core.ui import models, warmup
from tests.app.conftest import ROOT

HOME_RUN = """
import json, sys, threading
from streamlit.testing.v1 import AppTest
from core.cohort import store
from core.ui import warmup
warmup.DELAY_S = 600  # a warm-up started by the page must not have imported torch before we look
db = store.open_store(sys.argv[1])
_, token = db.create_learner("Ada")
at = AppTest.from_file("Home.py", default_timeout=60)
at.query_params["resume"] = token
at.run()
print(json.dumps({"exception": [str(e.value) for e in at.exception], "torch": "torch" in sys.modules,
                  "title": [t.value for t in at.title], "subheaders": [s.value for s in at.subheader],
                  "warm_up": any(t.name == warmup.THREAD for t in threading.enumerate())}))
"""


def test_home_does_not_import_torch(tmp_path):
    url = f"sqlite:///{tmp_path / 'course.db'}"
    out = subprocess.run([sys.executable, "-c", HOME_RUN, url], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                           "RNN_COURSE_DATABASE_URL": url, "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert not result["exception"] and "Your progress" in result["subheaders"], result  # the learner's Home
    assert result["torch"] is False, "Home imported torch in its own script run"


def test_warm_up_loads_the_shipped_models_the_pages_open_with():
    took = warmup.run(0)
    assert "torch + models" in took and all(m in took for m in warmup.MODULES)
    assert {"core.ui.lessons.lstm_lesson.warm", "core.ui.lessons.charlm_demos.warm"} <= set(took)
    assert "torch" in sys.modules and "core.ui.lessons.lstm_lesson" in sys.modules
    shipped = set(models.shipped_charlms())
    for name in set(models.WARM) & shipped:
        t0 = time.perf_counter()
        models.get_model(name)  # a cache hit now
        assert time.perf_counter() - t0 < 0.05
    assert set(models.warm_up()) >= set(models.WARM) & shipped
