"""Job fixtures: a fresh SQLite cohort database (models kept in it), learners, and registries on an in-memory Huey
queue whose consumer runs in this process, shut down after each test."""

import pytest
import torch

from core.cohort import store as cohort_store
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs

torch.set_num_threads(1)
TEXT = "the cat sat on the mat. the dog sat on the log. a cat and a dog. " * 40


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def store(tmp_path, state):
    s = cohort_store.open_store(f"sqlite:///{tmp_path / 'course.db'}")
    learner_runs.bind(s)
    yield s
    learner_runs.bind(None)
    s.engine.dispose()


@pytest.fixture
def learner(store):
    def make(name="Ada"):
        return store.create_learner(name)[0]

    return make


@pytest.fixture
def make_registry(store):
    made = []

    def make(consume=True, workers=None, stale_s=jobs.STALE_S, **budget):
        r = jobs.Registry(store, jobs.Budget(**budget), broker="memory://", consume=consume, workers=workers,
                          stale_s=stale_s)
        made.append(r)
        return r

    yield make
    for r in made:
        r.shutdown(timeout=30)


def spec(owner, **kw):
    base = dict(owner=owner, text=TEXT, corpus="upload:cats.txt", title="cats", hidden=16, embed=8, steps=30,
                seconds=30, batch=4, seq_len=16, eval_every=10, sample_every=15, lr=1e-2)
    return jobs.JobSpec(**{**base, **kw})


LONG = dict(steps=3000, seconds=60, eval_every=0, sample_every=0)
