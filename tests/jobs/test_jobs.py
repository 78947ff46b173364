"""Training jobs: bounded, queued, isolated per learner, and a stop keeps (and saves) the model."""

import os
import threading
import time

import pytest
import torch

from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from core.models import charlm
from core.models.charlm import CharLM, CharLMConfig, build, num_params
from core.training.loop import evaluate_loss

torch.set_num_threads(1)
TEXT = "the cat sat on the mat. the dog sat on the log. a cat and a dog. " * 40


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path))
    return tmp_path


@pytest.fixture
def make_registry():
    made = []

    def make(**budget):
        r = jobs.Registry(jobs.Budget(**budget))
        made.append(r)
        return r

    yield make
    for r in made:
        r.shutdown(timeout=30)
    assert not [t for t in threading.enumerate() if t.name.startswith("train-learner-")]


def spec(learner=1, **kw):
    base = dict(learner_id=learner, text=TEXT, corpus="upload:cats.txt", title="cats", hidden=16, embed=8,
                steps=30, seconds=30, batch=4, seq_len=16, eval_every=10, sample_every=15, lr=1e-2)
    return jobs.JobSpec(**{**base, **kw})


def wait_until(cond, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_a_tiny_job_trains_reports_progress_and_saves_the_run(make_registry):
    reg = make_registry()
    job = reg.submit(spec())
    assert job.join(30)
    p = job.progress()
    assert p.state == "finished" and p.step == 30 and p.done and p.run_id
    assert [s for s, _ in p.train] == list(range(1, 31)) and len(p.grad_norms) == 30
    assert [s for s, _ in p.evals] == [10, 20, 30] and p.evals[-1][1] < p.evals[0][1]
    assert [s for s, _ in p.samples] == [15, 30]
    assert p.params > 0 and p.memory_mb > 0 and p.train_chars + p.val_chars == len(TEXT)
    model, vocab, rec = learner_runs.load_run(1, p.run_id)
    assert isinstance(model, CharLM) and rec.stopped == "finished" and rec.steps == 30
    val = torch.tensor(vocab.encode(learner_runs.held_out_text(1, p.run_id)))
    assert evaluate_loss(model, val, 20_000)[0] == pytest.approx(rec.val_loss, abs=1e-4)


def test_stop_keeps_and_saves_the_model_trained_so_far(make_registry):
    reg = make_registry()
    job = reg.submit(spec(steps=3000, seconds=60, eval_every=0, sample_every=0))
    assert wait_until(lambda: job.progress().step >= 3)
    job.stop()
    assert job.join(30)
    p = job.progress()
    assert p.state == "stopped" and 3 <= p.step < 3000 and job.spec.text == ""  # the corpus is released
    rec = learner_runs.list_runs(1)[0]
    assert rec.run_id == p.run_id and rec.stopped == "stopped" and rec.steps == p.step


def test_the_time_budget_ends_a_run_and_it_is_saved_as_budget(make_registry):
    reg = make_registry()
    job = reg.submit(spec(steps=3000, seconds=1, eval_every=0, sample_every=0))
    assert job.join(30)
    p = job.progress()
    assert p.state == "budget" and 0 < p.step < 3000 and p.elapsed_s >= 1.0
    assert learner_runs.list_runs(1)[0].stopped == "budget"


def test_runs_beyond_the_cap_wait_in_a_queue_and_start_when_a_slot_frees(make_registry):
    reg = make_registry(concurrent=1)
    first = reg.submit(spec(1, steps=3000, seconds=60, eval_every=0, sample_every=0))
    second = reg.submit(spec(2, steps=5, eval_every=0, sample_every=0))
    assert wait_until(lambda: first.progress().state == "running")
    time.sleep(0.2)
    p2 = second.progress()
    assert p2.state == "queued" and p2.queue_position == 1 and reg.running_count() == 1
    first.stop()
    assert second.join(30)
    assert second.progress().state == "finished"
    assert [r.learner_id for r in learner_runs.list_runs(2)] == [2]


def test_stopping_a_queued_run_trains_and_saves_nothing(make_registry):
    reg = make_registry(concurrent=1)
    first = reg.submit(spec(1, steps=3000, seconds=60, eval_every=0, sample_every=0))
    second = reg.submit(spec(2))
    second.stop()
    assert second.join(10)
    assert second.progress().state == "stopped" and second.progress().step == 0
    assert learner_runs.list_runs(2) == []
    first.stop()


def test_one_active_run_per_learner_and_learners_see_only_their_own(make_registry):
    reg = make_registry()
    job = reg.submit(spec(1, steps=3000, seconds=60, eval_every=0, sample_every=0))
    with pytest.raises(jobs.JobError, match="already have a run"):
        reg.submit(spec(1))
    assert reg.current(2) is None and reg.current(1) is job
    job.stop()
    assert job.join(30)
    reg.submit(spec(1, steps=2)).join(30)  # allowed once the first is done


@pytest.mark.parametrize("change, message", [
    ({"hidden": 4096}, "hidden must be between"),
    ({"steps": 10**6}, "steps must be between"),
    ({"lr": 0.0}, "Learning rate"),
    ({"seconds": 10**6}, "Training time"),
    ({"text": "abc"}, "too short"),
    ({"hidden": 256, "layers": 2, "embed": 64, "text": "".join(map(chr, range(0x4E00, 0x4E00 + 3000))) * 2},
     "parameters"),
])
def test_settings_outside_the_budget_are_refused_with_what_to_change(make_registry, change, message):
    reg = make_registry()
    with pytest.raises(jobs.JobError, match=message):
        reg.submit(spec(**change))
    assert reg.current(1) is None


def test_the_daily_allowance_caps_a_learners_training_time(make_registry):
    reg = make_registry(learner_seconds_per_day=8)
    job = reg.submit(spec(steps=3000, seconds=60, eval_every=0, sample_every=0))
    assert job.progress().seconds_budget == pytest.approx(8, abs=0.5)
    job.stop()
    job.join(30)
    reg._usage[1].spent.append((time.monotonic(), 100.0))
    with pytest.raises(jobs.JobError, match="allowance"):
        reg.submit(spec())


def test_a_failed_save_keeps_the_model_and_says_so(make_registry):
    reg = make_registry()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    reg.saver = broken
    job = reg.submit(spec(steps=3))
    assert job.join(30)
    p = job.progress()
    assert p.state == "finished" and p.run_id is None and "disk full" in p.message and job.model is not None


def test_a_diverging_run_is_saved_as_nan_with_the_message(make_registry, monkeypatch):
    reg = make_registry()
    real = jobs.train

    def exploding(model, data, cfg, **kw):
        with torch.no_grad():
            model.head.bias.fill_(float("nan"))  # poison the weights: the first step's loss is NaN
        return real(model, data, cfg, **kw)

    monkeypatch.setattr(jobs, "train", exploding)
    job = reg.submit(spec())
    assert job.join(30)
    p = job.progress()
    assert p.state == "nan" and "diverged" in p.message and p.step == 0 and p.run_id is None


def test_cells_twin_computes_the_same_logits_as_the_fused_model():
    for kind in ("rnn", "lstm", "gru"):
        torch.manual_seed(0)
        fused = build(CharLMConfig(kind=kind, vocab_size=11, hidden=12, layers=2, embed=5, backend="torch")).eval()
        cells = charlm.cells_twin(fused)
        x = torch.randint(0, 11, (3, 9))
        torch.testing.assert_close(cells(x)[0], fused(x)[0], atol=1e-5, rtol=1e-5)


def test_finished_jobs_are_forgotten_after_an_hour_but_their_runs_stay(make_registry, monkeypatch):
    reg = make_registry()
    job = reg.submit(spec(steps=3))
    assert job.join(30) and reg.current(1) is job
    monkeypatch.setattr(jobs, "KEEP_DONE_S", 0.0)
    assert reg.current(1) is None and learner_runs.list_runs(1)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_parameter_count_matches_the_built_model(kind, layers):
    s = spec(kind=kind, layers=layers, hidden=24, embed=7)
    assert jobs.count_params(s, 13) == num_params(build(jobs.model_config(s, 13)))


def test_memory_estimate_and_rss_are_positive_and_grow_with_the_model():
    small = jobs.estimate_memory_mb(spec(hidden=16), 20, 10_000)
    big = jobs.estimate_memory_mb(spec(hidden=256, layers=2), 20, 10_000)
    assert 0 < small < big
    assert jobs.process_rss_mb() > 10


def test_budget_reads_the_environment():
    b = jobs.Budget.from_env({jobs.CONCURRENT_ENV: "3", jobs.SECONDS_ENV: "45"})
    assert b.concurrent == 3 and b.max_seconds == 45
    with pytest.raises(ValueError):
        jobs.Budget.from_env({jobs.CONCURRENT_ENV: "many"})


def test_the_training_thread_runs_nicer_than_the_page_threads():
    seen = {}

    def probe():
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        jobs._lower_thread_priority()
        seen["change"] = os.getpriority(os.PRIO_PROCESS, tid) - before
        seen["before"] = before

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert seen["change"] == min(10, 19 - seen["before"])
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == seen["before"]  # this thread untouched


def test_inline_training_shares_the_cap_and_the_daily_allowance(make_registry):
    r = make_registry(concurrent=1, learner_seconds_per_day=100.0)
    order: list[str] = []
    with r.inline_slot(1, 30) as allowed:
        assert allowed == 30
        assert r.running_count() == 1

        def second() -> None:
            with r.inline_slot(2, 30):
                order.append("second runs")

        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.3)
        assert order == [] and r.queue_position(r._waiting[0]) == 1  # learner 2 waits for the only slot
        order.append("first done")
        time.sleep(0.2)
    t.join(timeout=10)
    assert order == ["first done", "second runs"]
    assert r.running_count() == 0
    assert r.remaining_seconds(1) < 100.0  # the inline run was counted against learner 1's allowance
    r._usage[1].spent.append((time.monotonic(), 1000.0))
    with pytest.raises(jobs.JobError, match="allowance"), r.inline_slot(1, 30):
        pass
