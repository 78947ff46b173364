"""Fair sharing of the sandboxes (core/labs/slots.py): one per learner, a learner who has a run going waits
behind everyone else, one run waiting per learner, and a waiting run hears its place in line."""

import threading
import time

from core.labs.slots import Slots


def enter_later(slots: Slots, learner: str, order: list, timeout: float = 5.0) -> threading.Thread:
    def go() -> None:
        entry = slots.enter(learner, timeout)
        order.append((learner, entry.status))
        if entry.status == "run":
            slots.leave(learner)

    thread = threading.Thread(target=go)
    thread.start()
    time.sleep(0.05)
    return thread


def test_free_sandboxes_are_taken_at_once():
    slots = Slots(2)
    assert slots.enter("ada", 0.1).status == "run" and slots.enter("bob", 0.1).status == "run"
    assert slots.running() == 2


def test_one_learner_holds_one_sandbox_and_waits_behind_later_learners():
    slots = Slots(2)
    assert slots.enter("ada", 0.1).status == "run"
    order: list = []
    second = enter_later(slots, "ada", order)  # a sandbox is free, but ada already holds one
    assert slots.waiting() == 1 and order == []
    assert slots.enter("bob", 0.1).status == "run"  # later, but bob has nothing running
    assert slots.enter("ada", 0.1).status == "queued"  # ada's second waiting run is refused
    slots.leave("ada")
    second.join(2)
    assert order == [("ada", "run")]


def test_the_line_is_fair_and_each_waiter_hears_its_place():
    slots = Slots(1)
    assert slots.enter("ada", 0.1).status == "run"
    places: dict[str, list[int]] = {"bob": [], "cy": []}
    order: list = []

    def wait(name: str) -> None:
        assert slots.enter(name, 5.0, places[name].append).status == "run"
        order.append(name)
        time.sleep(0.05)
        slots.leave(name)

    threads = [threading.Thread(target=wait, args=(name,)) for name in ("bob", "cy")]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    again = []
    ada_again = threading.Thread(target=lambda: again.append(slots.enter("ada", 5.0)))  # ada has one running
    ada_again.start()
    time.sleep(0.05)
    slots.leave("ada")
    for thread in threads:
        thread.join(2)
    ada_again.join(2)
    slots.leave("ada")
    assert order == ["bob", "cy"] and again[0].status == "run"
    assert places["bob"] == [1] and places["cy"] == [2, 1]


def test_a_full_line_and_a_long_wait_say_where_the_run_stood():
    slots = Slots(1, max_waiting=1)
    assert slots.enter("ada", 0.1).status == "run"
    order: list = []
    waiter = enter_later(slots, "bob", order, timeout=0.3)
    full = slots.enter("cy", 0.1)
    assert full.status == "full" and full.place == 2
    waiter.join(2)
    assert order == [("bob", "timeout")] and slots.waiting() == 0
