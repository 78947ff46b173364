"""Demo settings that live in the page URL, so an instructor can send a cohort a link to a configured demo.

    text = st.text_input("Sentence", value=urlstate.get("a", DEFAULT), key="bow-a")
    urlstate.put("a", text, DEFAULT)

Values from the URL are untrusted: they are parsed and validated, and a bad one falls back to the default.
The learner's identity never goes into the URL (it lives in a cookie), so shared links carry settings only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
MAX_LEN = 500


def get(name: str, default: T, parse: Callable[[str], T] | None = None,
        valid: Callable[[T], bool] | None = None) -> T:
    """The setting from `?name=...` when present and valid, else `default`."""
    raw = st.query_params.get(name)
    if raw is None or len(raw) > MAX_LEN:
        return default
    try:
        value = parse(raw) if parse else type(default)(raw)
    except (TypeError, ValueError):
        return default
    if valid is not None and not valid(value):
        return default
    return value


def put(name: str, value: object, default: object) -> None:
    """Write the setting into the URL (or drop it when it equals the default, to keep links short)."""
    text = str(value)
    if value == default or len(text) > MAX_LEN:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != text:
        st.query_params[name] = text
