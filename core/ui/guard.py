"""One failing model costs only its own demo: `demo_guard(title)` (a context manager, and a decorator for a demo
function) shows a plain message in place of a demo whose shipped model is damaged or missing, and logs the
details (file, sizes, traceback) to "rnn_course.models" for the instructor. Other errors still surface."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.training.checkpoints import CheckpointError

log = logging.getLogger("rnn_course.models")

MESSAGE = ("This demo's model file is damaged or missing; the rest of the page works. "
           "Your instructor has been told.")

_reported: set[str] = set()  # log each distinct failure once per process, not on every rerun of every learner
_lock = threading.Lock()


def report(what: str, exc: BaseException) -> None:
    """Tell the learner plainly (no server paths) and the log in full, once per distinct failure."""
    detail = f"{type(exc).__name__}: {exc}"
    with _lock:
        first = detail not in _reported
        _reported.add(detail)
    if first:
        log.error("Model for %r could not be loaded, so its demo is off: %s. Restore the file from the "
                  "repository or retrain it (`python -m core.train --list` names the recipes).", what, detail,
                  exc_info=exc)
    st.error(MESSAGE, icon=":material/broken_image:")


NOT_INSTALLED = ("This demo's model or data is not installed on this server, so it shows nothing rather than "
                 "made-up output. Your instructor has been told.")


def not_installed(what: str, fix: str) -> None:
    """A demo whose shipped model or data is absent: a plain note for the learner; the operator's fix (a command)
    goes to the log once and to the instructor page (failures())."""
    detail = f"{what} is not installed. Fix: {fix}"
    with _lock:
        first = detail not in _reported
        _reported.add(detail)
    if first:
        log.warning("%s", detail)
    st.info(NOT_INSTALLED, icon=":material/hourglass_empty:")


def failures() -> list[str]:
    """Every distinct model failure this process has reported, sorted (for an instructor view)."""
    with _lock:
        return sorted(_reported)


@contextmanager
def demo_guard(title: str) -> Iterator[None]:
    """Run one demo; if its model cannot be loaded (CheckpointError), show MESSAGE there and carry on with the page.
    Works as `with demo_guard("..."):` and as `@demo_guard("...")` under `@st.fragment`."""
    try:
        yield
    except CheckpointError as exc:
        report(title, exc)
