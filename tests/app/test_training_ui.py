"""The in-app training UI driven through AppTest with a tiny model: upload checks, the live dashboard, stop keeps
the model, the queue, isolation between learners, the learner's model in the explainer views, and "Delete my data"
during a run."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from core.jobs import engine
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from tests.app.conftest import all_text, open_page

FIXTURE = "training_app.py"
TEXT = ("the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. " * 60).encode()


@pytest.fixture(autouse=True)
def fresh_registry(tmp_path, monkeypatch, db):
    """The app's registry on this test's database: one run at once, an in-memory queue, a worker in this process."""
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path / "state"))
    monkeypatch.setenv(engine.BROKER_ENV, "memory://")
    monkeypatch.setenv(jobs.CONCURRENT_ENV, "1")
    jobs._registry = None
    yield
    if jobs._registry is not None:
        jobs._registry.shutdown(timeout=60)
    jobs._registry = None
    learner_runs.bind(None)


def fixture_app(learner_id: int, mode: str = "own") -> AppTest:
    at = AppTest.from_file(FIXTURE, default_timeout=60)
    at.session_state["fixture-learner"] = learner_id
    at.session_state["fixture-mode"] = mode
    return at.run()


def upload(at: AppTest, name: str, data: bytes, key: str = "m05-own") -> AppTest:
    at.file_uploader(key=f"{key}-file").set_value((name, data, "application/octet-stream"))
    return at.run()


def start_tiny(at: AppTest, steps: int = 50, seconds: int = 10, key: str = "m05-own") -> AppTest:
    at.select_slider(key=f"{key}-hidden").set_value(32)
    at.slider(key=f"{key}-steps").set_value(steps)
    at.slider(key=f"{key}-seconds").set_value(seconds)
    at.button(key=f"{key}-start").click()
    return at.run()


def wait_for(cond, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_bad_uploads_get_a_clear_message_and_nothing_starts(learner):
    at = fixture_app(learner[0].id)
    assert not at.exception, at.exception
    cases = [("empty.txt", b"", "is empty"), ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00" * 50, "binary"),
             ("latin.txt", "déjà vu ".encode("latin-1") * 300, "not valid UTF-8"),
             ("aaaa.txt", b"a" * 3000, "only one distinct character"),
             ("big.txt", b"ab" * (5 * 2**20 + 1), "the limit is 5 MB"),
             ("short.txt", b"hello there", "Add more text")]
    for name, data, message in cases:
        at = upload(at, name, data)
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert any(message in e and name in e for e in errors), (name, errors)
        assert "m05-own-start" not in [b.key for b in at.button]
    assert jobs.registry().current(learner[0].uid) is None


def test_dashboard_follows_a_tiny_run_and_the_model_can_be_explored(learner):
    at = upload(fixture_app(learner[0].id), "fox.txt", TEXT)
    assert "Corpus too small for this model" in all_text(at)  # 32 hidden units is still more than 4.6k chars
    at = start_tiny(at)
    assert not at.exception, at.exception
    job = jobs.registry().current(learner[0].uid)
    assert job is not None and job.spec.hidden == 32 and job.spec.steps == 50
    assert job.join(60)
    at.run()
    assert not at.exception, at.exception
    p = job.progress()
    done = [s.value for s in at.success]
    assert any("Saved to your models" in s for s in done), done
    labels = {m.label: m.value for m in at.metric}
    assert labels["validation loss"] == f"{p.evals[-1][1]:.3f}" and labels["time left (ETA)"] == "done"
    assert "Training coach" in all_text(at) and "Loss per character while training" in all_text(at)
    assert any(f"Sample at step {p.samples[-1][0]}" in m.value for m in at.markdown)
    # explore: the saved run is listed and sampling follows the temperature
    assert at.selectbox(key="m05-own-run").value == p.run_id
    before = at.code[-1].value
    at.slider(key="m05-own-tau").set_value(2.0).run()
    assert not at.exception and at.code[-1].value != before


def test_stop_keeps_the_model_trained_so_far(learner):
    at = start_tiny(upload(fixture_app(learner[0].id), "fox.txt", TEXT), steps=3000, seconds=60)
    job = jobs.registry().current(learner[0].uid)
    assert wait_for(lambda: job.progress().step >= 3)
    at.run()
    at.button(key="m05-own-dash-stop").click().run()
    assert job.join(60)
    at.run()
    p = job.progress()
    assert p.state == "stopped" and 3 <= p.step < 3000
    assert any("Stopped by you" in s.value for s in at.success)
    assert learner_runs.list_runs(learner[0].uid)[0].steps == p.step


def test_a_second_learner_waits_in_the_queue_and_sees_nothing_of_the_first(learner, db):
    other, _ = db.create_learner("Grace")
    a = start_tiny(upload(fixture_app(learner[0].id), "fox.txt", TEXT), steps=3000, seconds=60)
    first = jobs.registry().current(learner[0].uid)
    assert wait_for(lambda: first.progress().state == "running")
    b = fixture_app(other.id, mode="lab")  # Module 9 lab: built-in corpora and the advanced knobs
    assert not b.exception, b.exception
    assert "fox" not in all_text(b) and "No training run yet" in all_text(b)
    if b.radio(key="m09-live-source").value == "upload":  # no built-in corpus on this machine (CI): upload too
        b = upload(b, "notes.txt", TEXT, key="m09-live")
    b.select_slider(key="m09-live-lr").set_value(1e-2)
    b = start_tiny(b, key="m09-live")
    assert not b.exception, b.exception
    assert any("number **1** in the queue" in i.value for i in b.info)
    second = jobs.registry().current(other.uid)
    assert second.progress().state == "queued" and second.spec.lr == 1e-2
    first.stop()
    assert wait_for(lambda: second.progress().state in ("running", "finished"))
    second.stop()
    assert second.join(60) and first.join(60)
    assert {r.owner for r in learner_runs.list_runs(other.uid)} <= {other.uid}
    a.run()
    assert "Grace" not in all_text(a)


def train_tiny_run(learner, db) -> str:
    """A saved 1x16 LSTM run for this learner; returns its models.own_key name."""
    job = jobs.registry(db).submit(jobs.JobSpec(owner=learner.uid, text=TEXT.decode(), corpus="upload:fox.txt",
                                                title="foxes", hidden=16, embed=8, steps=20, batch=8, seq_len=32,
                                                eval_every=10, sample_every=0))
    assert job.join(60) and job.progress().run_id
    return f"own:{learner.id}:{job.progress().run_id}"


def test_own_model_appears_in_the_m02_hidden_state_view(learner, db):
    own = train_tiny_run(learner[0], db)
    at = open_page("pages/m02_rnn.py", learner[1])
    assert not at.exception, at.exception
    pick = at.selectbox(key="m02-vis-model")
    assert any("Your model: foxes" in o for o in pick.options)
    at = pick.set_value(own).run()
    assert not at.exception, at.exception
    assert any("Your model: foxes" in c.value and "LSTM, 16 units" in c.value for c in at.caption)


def test_own_model_drives_the_temperature_playground(learner, db):
    own = train_tiny_run(learner[0], db)
    at = fixture_app(learner[0].id, mode="temperature")
    assert not at.exception, at.exception
    shipped = [c.value for c in at.code]
    at.selectbox(key="m04-temp-model").set_value(own).run()
    assert not at.exception, at.exception
    assert [c.value for c in at.code] != shipped
    assert any("Your model: foxes" in c.value for c in at.caption)


@pytest.mark.slow  # the Module 3 page computes its other demos too (about 30 s here)
def test_own_lstm_appears_in_the_m03_gate_traces(learner, db):
    own = train_tiny_run(learner[0], db)
    at = open_page("pages/m03_lstm.py", learner[1])
    assert not at.exception, at.exception
    at.selectbox(key="m03-but-model").set_value(own).run()
    at.toggle(key="m03-but-reveal").set_value(True).run()
    assert not at.exception, at.exception
    assert "over the 16 units of layer 1" in all_text(at)
    assert any("Lowest average forget gate" in v.value for v in [*at.success, *at.info])


def test_delete_my_data_during_a_run_stops_it_and_leaves_nothing_for_the_next_learner(learner, db):
    record, token = learner
    start_tiny(upload(fixture_app(record.id), "diary.txt", TEXT), steps=3000, seconds=60)
    job = jobs.registry().current(record.uid)
    assert wait_for(lambda: job.progress().step >= 3)
    at = open_page("pages/cohort.py", token)
    at.checkbox(key="confirm-delete").check().run()
    next(b for b in at.button if b.label == "Delete my data").click().run()
    assert not at.exception, at.exception
    assert job.join(30) and db.learner(record.id) is None
    time.sleep(0.5)  # a worker that had not yet seen the deletion would save now
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM learner_models").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM training_jobs").scalar() == 0
    newcomer, _ = db.create_learner("Next")
    assert jobs.registry().current(newcomer.uid) is None and learner_runs.list_runs(newcomer.uid) == []
    b = fixture_app(newcomer.id)
    assert "No training run yet" in all_text(b) and "diary" not in all_text(b)
