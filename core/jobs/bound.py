"""Which cohort database this process keeps learners' training jobs and trained models in. The app binds the store
it opens (core.ui.state) and a worker binds its own; this module imports no torch, so binding costs a page nothing.

A binding lapses when $RNN_COURSE_DATABASE_URL changes (one process, another database: tests, or a re-configured
server), so runs never go to a database that is no longer the course's."""

from __future__ import annotations

import os

from core.cohort.store import URL_ENV, Store

_store: Store | None = None
_setting: str | None = None  # $RNN_COURSE_DATABASE_URL when the store was bound


def bind(store: Store | None) -> None:
    """Keep jobs and models in this store from now on (None: unbound; models then go to files)."""
    global _store, _setting
    _store, _setting = store, os.environ.get(URL_ENV, "")


def store() -> Store | None:
    global _store
    if _store is not None and os.environ.get(URL_ENV, "") != _setting:
        _store = None
    return _store
