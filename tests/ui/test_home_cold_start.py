"""Home is the first page after a server start (issue 19, cold start): its script run imports neither torch nor
Altair, pandas or Alembic; its progress charts are plain Vega-Lite specs that carry their rows inside the spec; and
the background warm-up is started by that run but has not imported anything yet."""

import json
import subprocess
import sys

import altair as alt

from core.cohort import store
from core.course import curriculum, progress
from core.ui import charts
from core.ui.lessons import home
from tests.app.conftest import ROOT

COURSE = curriculum.load_course()
HEAVY = ("torch", "altair", "pandas", "pyarrow", "alembic")

HOME_RUNS = """
import json, sys, threading
from streamlit.testing.v1 import AppTest
from core.ui import warmup
warmup.DELAY_S = 600  # a warm-up started by the page must not import anything before we look
HEAVY = HEAVY_NAMES
out = []
for token in sys.argv[1:]:
    at = AppTest.from_file("Home.py", default_timeout=60)
    at.query_params["resume"] = token
    at.run()
    step = {"exception": [str(e.value) for e in at.exception], "subheaders": [s.value for s in at.subheader],
            "charts": len(at.get("vega_lite_chart")), "tables": [list(d.value.columns) for d in at.dataframe],
            "heavy": [m for m in HEAVY if m in sys.modules],
            "warm_up": any(t.name == warmup.THREAD for t in threading.enumerate())}
    at.session_state["home-completion"] = True  # open the per-module table's expander
    at.run()
    step["opened"] = {"exception": [str(e.value) for e in at.exception],
                      "tables": [list(d.value.columns) for d in [*at.dataframe, *at.table]]}
    out.append(step)
print(json.dumps(out))
""".replace("HEAVY_NAMES", repr(HEAVY))


def _rows(spec: dict) -> list[dict]:
    assert "data" not in spec and "datasets" not in spec, "top-level data would go through pandas in Streamlit"
    return spec["layer"][0]["data"]["values"]


def test_progress_charts_are_valid_vega_lite_with_their_rows_inside():
    done = {"m00": {s.id for s in COURSE.modules["m00"].sections}, "m03": {COURSE.modules["m03"].sections[0].id}}
    overview = progress.overview(COURSE, done, "C")
    module_spec = home._full_labels(charts.module_progress(overview), 32)
    alt.LayerChart.from_dict(module_spec)  # validates against Altair's Vega-Lite schema
    rows = _rows(module_spec)
    assert [(r["module"], r["share"], r["done"], r["required"]) for r in rows] == [
        (o["module"], o["share"], o["done"], o["required"]) for o in overview]
    on_path = set(COURSE.paths["C"].modules)
    assert {r["module"] for r in rows if r["where"] == "on your path"} == {
        COURSE.modules[m].label for m in on_path}
    assert rows[0]["share"] == 1.0 and module_spec["height"] == {"step": 32}
    assert module_spec["encoding"]["color"]["scale"]["range"] == [charts.DONE_COLOR, charts.OFF_PATH_COLOR]

    paths = progress.all_paths(COURSE, done)
    path_spec = home._full_labels(charts.path_progress(paths), 32)
    alt.LayerChart.from_dict(path_spec)
    assert _rows(path_spec) == [{"path": p["path"], "share": p["share"], "hours": p["hours"]} for p in paths]


def test_home_for_a_returning_learner_imports_nothing_heavy(tmp_path):
    url = f"sqlite:///{tmp_path / 'course.db'}"
    db = store.open_store(url)  # migrated here, so the page finds the database up to date
    fresh, fresh_token = db.create_learner("Ada")
    db.set_path(fresh.id, "B")
    scored, scored_token = db.create_learner("Bo")
    db.set_path(scored.id, "B")
    db.record_quiz_score(scored.id, "m01", 4, 6)
    db.engine.dispose()
    out = subprocess.run([sys.executable, "-c", HOME_RUNS, fresh_token, scored_token], cwd=ROOT, capture_output=True,
                         text=True, timeout=180, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                      "RNN_COURSE_DATABASE_URL": url, "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-3000:]
    first, second = json.loads(out.stdout.strip().splitlines()[-1])

    assert not first["exception"] and "Your progress" in first["subheaders"], first
    assert first["charts"] == 2 and first["tables"] == [], "both charts drawn; no table until one is wanted"
    assert first["heavy"] == [], f"Home's first run imported {first['heavy']}"
    assert first["warm_up"], "Home starts the background warm-up (which waits before importing anything)"
    assert not first["opened"]["exception"]
    assert first["opened"]["tables"] == [["module", "sections ticked", "complete", "still needed"]]

    # A learner with quiz scores sees them in a table: st.dataframe converts through pandas, and only that
    assert not second["exception"] and ["quiz", "best score", "share"] in second["tables"], second
    assert set(second["heavy"]) <= {"pandas", "pyarrow"}, second["heavy"]
