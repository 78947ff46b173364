"""Background warm-up, once per server process: a daemon thread imports torch, the lesson modules of the model
pages and the shipped models they open with (core.ui.models.warm_up), so the first learner to reach Module 2-4 or 7
after a start does not wait the 10-15 s those cost. This module itself imports nothing heavy: Home starts the thread
through course_page and still never imports torch in its own script run."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time

import streamlit as st

log = logging.getLogger("rnn_course.warmup")

THREAD = "course-warm-up"
DELAY_S = 0.5  # after the first page's own run (~0.45 s); at 0 the imports slowed its cold start by 0.4 s
# The lesson modules behind the pages whose first view runs a model (Modules 2-4, 6-7); importing one costs
# 0.3-2.5 s of CPU on a 2-core box. A missing one (renamed, not written yet) is skipped.
MODULES = ("core.ui.lessons.rnn_demos", "core.ui.lessons.rnn_lesson", "core.ui.lessons.lstm_lesson",
           "core.ui.lessons.charlm_demos", "core.ui.lessons.lm_lessons", "core.ui.lessons.beyond_text",
           "core.ui.lessons.attention", "core.ui.codelab")


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread:
    """Start the warm-up thread; st.cache_resource makes every later call (every page, every session) a no-op."""
    # cached functions called off a script thread warn "missing ScriptRunContext" once each: expected here
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: record.threadName != THREAD)
    thread = threading.Thread(target=run, args=(DELAY_S,), name=THREAD, daemon=True)
    thread.start()
    return thread


def run(delay: float = 0.0) -> dict[str, float]:
    """The warm-up itself: {step: seconds}. Never raises: a failed step is logged and the page pays for it later."""
    time.sleep(delay)
    took: dict[str, float] = {}

    def step(name: str, fn) -> None:
        t0 = time.perf_counter()
        try:
            fn()
        except Exception:  # noqa: BLE001 - a warm-up must never take the server down
            log.warning("warm-up step %s failed", name, exc_info=True)
        took[name] = time.perf_counter() - t0
        time.sleep(0)  # hand the GIL to a page between steps

    step("torch + models", lambda: importlib.import_module("core.ui.models").warm_up())
    for module in MODULES:
        step(module, lambda m=module: importlib.import_module(m))
    for module in MODULES:  # then what those pages compute first, where a module says (its warm())
        warm = getattr(sys.modules.get(module), "warm", None)
        if warm is not None:
            step(f"{module}.warm", warm)
    log.info("warm-up done in %.1f s: %s", sum(took.values()),
             ", ".join(f"{k} {v:.1f} s" for k, v in took.items()))
    return took
