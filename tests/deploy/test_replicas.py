"""Several replicas on one machine, end to end (issue 18, item 7): a private PostgreSQL, the broker (PostgreSQL itself,
then Redis), two Streamlit replicas behind HAProxy with deploy/haproxy.cfg's sticky cookie, and one separate
`python -m core.jobs.worker`. Learners act through the app (Streamlit's websocket protocol, each tab pinned to a
replica by HAProxy's cookie, the learner cookie a browser keeps carried to the other replica) on Module 9's live
training lab; the database and the broker are read directly only to check what the pages say.

Checked: a learner cannot have two runs at once through two replicas; stop works from the replica that did not
start the run; killing the replica that submitted a run leaves it training on the worker, its loss curve visible
from the other replica, and its model saved; the daily allowance holds across replicas and a replica restart; a
deleted learner's runs, models and queue entries are gone on every replica and in the database.

Slow (about 4-5 minutes per broker on 2 busy cores): `pytest -m slow tests/deploy/test_replicas.py`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time

import pytest
from sqlalchemy import func, select

from core.cohort.store import open_store
from core.cohort.tables import Learner, LearnerModel, TrainingJob
from core.jobs import engine
from core.jobs import registry as jobs
from tests.deploy import cluster as deploy
from tests.deploy.tabs import Tab

ALLOWANCE_S = jobs.Budget().learner_seconds_per_day
LAST_RUN_S = 20  # the seconds of allowance left for the run whose replica is killed (it then uses them all)
TEXT = "the cat sat on the mat. the dog sat on the log. a cat and a dog. " * 40
ACTIVE_MSG = "You already have a run in progress"
ALLOWANCE_MSG = "You have used today's training allowance"
INLINE_ACTIVE_MSG = "You have a training run in progress"


def _jobs_of(store, uid: str) -> list[tuple[str, str]]:
    with store.engine.connect() as c:
        return [tuple(r) for r in c.execute(select(TrainingJob.id, TrainingJob.state)
                                            .where(TrainingJob.owner_uid == uid).order_by(TrainingJob.queued_at))]


def _models_of(store, learner_id: int) -> int:
    with store.engine.connect() as c:
        return c.scalar(select(func.count()).select_from(LearnerModel).where(LearnerModel.learner_id == learner_id))


def _learner(store, uid: str):
    with store.engine.connect() as c:
        return c.execute(select(Learner.id, Learner.uid).where(Learner.uid == uid)).first()


def _submitted_by(c: deploy.Cluster, job_id: str) -> str:
    """The replica whose log says it queued the job (core.jobs.registry logs every submit)."""
    found = [r.name for r in c.replicas if f"Job {job_id} queued" in c.log_tail(r.name, 200_000)]
    assert len(found) == 1, (job_id, found)
    return found[0]


def _spend_allowance(store, uid: str, leave_s: float) -> None:
    """What earlier training today used (module 4's inline training counts the same): a finished inline slot, so
    that `leave_s` seconds of the day's allowance are left."""
    left = store.training_seconds_left(uid, ALLOWANCE_S, jobs.DAY_S)
    rec = store.job_submit(uid, job_id=secrets.token_hex(6), kind="inline", title="inline training", corpus="",
                           spec={}, info={}, text=None, seconds=1.0, allowance_s=ALLOWANCE_S, day_s=jobs.DAY_S,
                           queue_limit=8)
    store.job_finish(rec.id, "finished", seconds_used=left - leave_s)


def _api_refusal(c: deploy.Cluster, store, uid: str) -> str:
    """A submit through the job API a page calls, from a third process on the same database and broker."""
    reg = jobs.Registry(store, jobs.Budget(concurrent=1), broker=c.broker, consume=False)
    spec = jobs.JobSpec(owner=uid, text=TEXT, corpus="upload:cats.txt", hidden=16, embed=8, steps=30, seconds=5,
                        batch=4, seq_len=16)
    with pytest.raises(jobs.JobError) as refused:
        reg.submit(spec)
    return str(refused.value)


async def _inline_training(tab: Tab) -> str:
    """Press Module 4's "Train and check" (a perplexity challenge, trained in the page's own thread under the same
    rules); returns which refusal the page shows, or what it shows instead."""
    await tab.open("m04_char_lm")
    await tab.s.click(tab.s.widget("button", key="m04-ch-run"))
    shown = [t for t in tab.texts() if t.startswith("Training stopped:")]
    for msg in (INLINE_ACTIVE_MSG, ALLOWANCE_MSG):
        if any(msg in t for t in shown):
            return msg
    return " | ".join(shown) or "no refusal shown"


async def _scenario(c: deploy.Cluster, store) -> dict:
    seen: dict = {}
    # ---- Ada signs up on app1; her browser's learner cookie is what a second tab on app2 sends ------------------
    a1 = Tab(c.url, "app1")
    token = await a1.sign_up("Ada")
    assert a1.served_by() == "app1"
    ada = store.find_learner(token)
    b2 = Tab(c.url, "app2", token)
    await asyncio.gather(a1.open(), b2.open())
    assert b2.served_by() == "app2" and not b2.signed_out()
    assert a1.start_button() is not None and b2.start_button() is not None

    for key, value in (("steps", 3000), ("seconds", 120)):  # a run that lasts until it is stopped
        await asyncio.gather(a1.set_slider(key, value), b2.set_slider(key, value))

    # ---- 1. one run at a time: Start pressed in both tabs at once, one on each replica ---------------------------
    await asyncio.gather(a1.start_training(), b2.start_training())
    runs = _jobs_of(store, ada.uid)
    assert len(runs) == 1 and runs[0][1] in jobs.ACTIVE, runs
    job_id = runs[0][0]
    outcome = {t.replica: ("refused" if t.says(ACTIVE_MSG) else "training" if t.says("is training") else "?")
               for t in (a1, b2)}
    assert sorted(outcome.values()) in (["refused", "training"], ["training", "training"]), (
        outcome, a1.texts()[-6:], b2.texts()[-6:])
    seen["race"] = outcome
    assert ACTIVE_MSG in _api_refusal(c, store, ada.uid)  # what a page shows when its submit loses the race
    # the other tab's Start started nothing (its page saw the run, or its submit was refused); reloaded, it shows the
    # run training and offers no Start
    starter = _submitted_by(c, job_id)
    other = b2 if starter == "app1" else a1
    await other.wait_page(lambda t: t.step() > 0, 120, "the run to be training")
    assert other.start_button() is None and other.says("is training")
    # Module 4's training, which runs in the page's own process, is refused there with the reason
    assert await _inline_training(other) == INLINE_ACTIVE_MSG

    # ---- stop from the replica that did not start it ------------------------------------------------------------
    await other.open()
    await other.stop_training()
    await other.wait_page(lambda t: t.says("Stopped by you"), 60, "the stop to be seen")
    rec = store.job(job_id)
    assert rec.state == "stopped" and rec.run_id, rec
    assert other.says("Saved to your models")
    seen["stopped_at_step"] = rec.step

    # ---- 3. the replica that submitted a run is killed: the worker finishes it, app1 shows it live ---------------
    _spend_allowance(store, ada.uid, LAST_RUN_S + 0.5)  # the slider's top: whole seconds left
    await b2.open()
    await b2.set_slider("steps", 3000)  # the time budget ends the run, using the rest of the day's allowance
    seconds = b2.s.widget("slider", key="m09-live-seconds")
    assert seconds.proto.max == LAST_RUN_S, seconds.proto
    await b2.set_slider("seconds", LAST_RUN_S)
    await b2.start_training()
    job2 = _jobs_of(store, ada.uid)[-1][0]
    assert _submitted_by(c, job2) == "app2"
    await b2.wait_page(lambda t: t.step() > 0, 120, "run 2 to be training")
    await b2.close()
    c.kill_replica("app2")
    before = store.job(job2).step
    await a1.wait_page(lambda t: t.step() > before and t.has_loss_chart(), 60,
                       "app1 to show run 2's progress after app2 died")
    seen["progress_after_kill"] = (before, a1.step())
    with store.engine.connect() as conn:  # what the page drew is what the worker wrote
        assert conn.scalar(select(TrainingJob.step).where(TrainingJob.id == job2)) >= a1.step()
    await a1.wait_page(lambda t: t.says("Stopped by the time budget"), 120, "run 2 to finish on the worker")
    rec2 = store.job(job2)
    assert rec2.state == "budget" and rec2.run_id and a1.says("Saved to your models"), rec2
    assert {m.run_id for m in store.model_records(ada.uid)} == {rec.run_id, rec2.run_id}

    # ---- 2. the allowance holds on both replicas, and after app2 restarts ------------------------------------------
    c.start_replica("app2")
    c.wait_routed("app2")
    b2 = Tab(c.url, "app2", token)
    for tab in (a1, b2):
        await tab.open()
        assert tab.served_by() == tab.replica
        left = re.search(r"Training time left for you today: (\d+) s", " ".join(tab.texts()))
        assert left and int(left.group(1)) < 5, (tab.replica, tab.texts()[-6:])
        assert tab.start_button().proto.disabled
    assert ALLOWANCE_MSG in _api_refusal(c, store, ada.uid)
    assert await _inline_training(b2) == ALLOWANCE_MSG
    seen["left_s"] = store.training_seconds_left(ada.uid, ALLOWANCE_S, jobs.DAY_S)

    # ---- 4. Bob trains, then deletes his data on app2 while a run of his trains --------------------------------
    bob_tab2 = Tab(c.url, "app2")
    bob_token = await bob_tab2.sign_up("Bob")
    bob = store.find_learner(bob_token)
    bob_tab1 = Tab(c.url, "app1", bob_token)
    await bob_tab1.open()
    await bob_tab1.set_slider("steps", 50)
    await bob_tab1.start_training()
    await bob_tab1.wait_page(lambda t: t.says("Saved to your models"), 120, "Bob's first run to be saved")
    await bob_tab1.open()
    await bob_tab1.set_slider("steps", 3000)
    await bob_tab1.start_training()
    await bob_tab1.wait_page(lambda t: t.step() > 0, 120, "Bob's second run to be training")
    assert _models_of(store, bob.id) == 1
    await bob_tab2.open("cohort")
    await bob_tab2.s.set_value(bob_tab2.s.widget("checkbox", key="confirm-delete"), bool_value=True)
    await bob_tab2.s.click(bob_tab2.s.widget("button", label="Delete my data"))
    assert bob_tab2.signed_out()
    assert _learner(store, bob.uid) is None and _jobs_of(store, bob.uid) == [] and _models_of(store, bob.id) == 0
    deploy.wait_for(lambda: store.jobs_running() == 0, 30, "the worker to drop Bob's deleted run")
    time.sleep(3)  # a worker that saved the model anyway would have done so by now
    assert _models_of(store, bob.id) == 0 and _jobs_of(store, bob.uid) == []
    huey = engine.make_huey(c.broker, c.run_dir / "state")
    # the queue drains (the worker's one thread also runs the periodic recovery task once it is free)
    deploy.wait_for(lambda: huey.pending_count() == 0 and huey.scheduled_count() == 0, 90, "an empty queue")
    for tab in (bob_tab1, Tab(c.url, "app1", bob_token), Tab(c.url, "app2", bob_token)):
        await tab.open()
        assert tab.signed_out() and not tab.says("Bob"), (tab.replica, tab.texts()[-4:])
        await tab.close()
    assert {m.run_id for m in store.model_records(ada.uid)} == {rec.run_id, rec2.run_id}  # nobody else's
    for tab in (a1, b2, bob_tab2):
        await tab.close()
    return seen


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("broker", ["postgresql", "redis"])
def test_two_replicas_behind_haproxy_share_jobs_allowance_and_deletion(broker, capsys):
    reason = deploy.unavailable(broker)
    if reason:
        pytest.skip(reason)
    with deploy.cluster(broker) as c:
        store = open_store(c.database)
        try:
            seen = asyncio.run(_scenario(c, store))
        except BaseException:
            print(c.logs())
            raise
        finally:
            store.engine.dispose()
    with capsys.disabled():
        print(f"\n{broker}: {seen}")
