"""A bare page hosting Module 5's pattern search and Karpathy-cells view for tests/app/test_pattern_search_ui.py."""

from types import SimpleNamespace

import streamlit as st

from core.ui.lessons import cells as cells_ui
from core.ui.lessons import pattern_search as search_ui

which = st.session_state.get("which", "search")
if which == "search":  # shipped models; with "learner_id", that learner's own runs are offered too
    learner = st.session_state.get("learner_id")
    ctx = None if learner is None else SimpleNamespace(learner=SimpleNamespace(id=learner))
    search_ui.pattern_search(ctx, "t-ps", st.session_state.get("default", "linux-lstm"))
else:
    cells_ui.karpathy_cells(st.session_state.get("results"), st.session_state.get("extra"))
