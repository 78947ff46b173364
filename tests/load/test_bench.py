"""The load bench itself is tested: simulated learners speak the websocket protocol to a real server (and through
HAProxy to two replicas) and every interaction completes. Slow: each starts servers and runs for ~20 s."""

import asyncio
import shutil
import time

import pytest

from tests import pg
from tests.load import bench
from tests.load.learner import TOUR, Learner
from tests.load.protocol import StreamlitSession
from tests.load.servers import database, replicated, single


@pytest.mark.slow
def test_two_learners_complete_every_interaction_on_one_server():
    phase, = bench.main(["--learners", "2", "--seconds", "20", "--ramp", "8", "--no-warm", "--db", "sqlite"])
    assert phase.signed_in == 2
    assert phase.errors == 0, phase.error_samples
    assert phase.interactions >= 4
    assert phase.server_cores > 0 and phase.rss_mb[0] > 50


@pytest.mark.slow
def test_one_learner_walks_the_whole_tour_without_errors():
    """Every step of the tour (page opens, sliders in fragments, a tick, samples, the code lab with its
    predict-first question) finds its widget and finishes: the bench still matches the pages."""
    records = []
    with database("sqlite") as url, single(url) as target:
        learner = Learner(target.url, 1, records.append, think=(0.0, 0.0))
        learner.step = 0
        asyncio.run(learner.run(time.monotonic() + 300, max_steps=len(TOUR)))
    assert [r for r in records if not r.ok] == []
    kinds = {r.kind for r in records}
    assert {"signin", "page", "slider", "tick", "sample", "lab-predict", "lab-edit", "lab-run"} <= kinds
    assert all(r.fragment for r in records if r.kind in ("slider", "lab-edit", "lab-run"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy not installed (apt-get install haproxy)")
def test_learners_through_haproxy_reach_both_replicas():
    if pg.unavailable():
        pytest.skip(f"PostgreSQL: {pg.unavailable()}")
    phase, = bench.main(["--replicas", "2", "--learners", "4", "--seconds", "20", "--ramp", "8", "--no-warm"])
    assert phase.signed_in == 4
    assert phase.errors == 0, phase.error_samples
    assert len(phase.replica_cores) == 2 and min(phase.replica_cores) > 0  # leastconn spread the sticky sessions


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy not installed (apt-get install haproxy)")
def test_a_reconnecting_tab_gets_its_session_back_through_the_proxy():
    """Why the proxy must be sticky: a tab whose websocket drops reconnects asking for its session by id, and only
    the replica that holds it can give it back (here: still signed in, without the form)."""
    if pg.unavailable():
        pytest.skip(f"PostgreSQL: {pg.unavailable()}")

    async def tabs(url: str, n: int) -> list[tuple[str, bool]]:
        opened = []
        for i in range(n):  # each keeps its websocket open, so leastconn sends the next one to the other replica
            s = StreamlitSession(url)
            await s.connect()
            await s.open_page("")
            form = s.widget("text_input", label="Display name")
            await s.click(s.widget("button", label="Start learning"), {form.id: {"string_value": f"Sticky {i}"}})
            opened.append(s)
        results = []
        for i, s in enumerate(opened):
            await s.reconnect()
            await s.open_page("")
            replica = next(c.value for c in s.jar if c.name == "rnn_replica")
            kept = any(f"Sticky {i}" in t for t in s.texts()) and not s.has("text_input", label="Display name")
            results.append((replica, kept))
            await s.close()
        return results

    with database("postgres") as url, replicated(2, url) as target:
        results = asyncio.run(tabs(target.url, 4))
    assert all(kept for _, kept in results), results
    assert {replica for replica, _ in results} == {"app1", "app2"}  # leastconn spread them; the cookie held them
