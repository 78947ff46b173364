"""AppTest fixture: 'Train on your own text' (Module 5), the live dashboard lab (Module 9) or the temperature
playground with the learner's models (Module 4) for the learner in
session_state["fixture-learner"]. A fixture, not a page: AppTest cannot page_link from tests/, so the context has
no page registry (the links to the explainer views are left out here)."""

from types import SimpleNamespace

import streamlit as st

from core.ui import own_model, shell, state
from core.ui.lessons import charlm_demos

db = state.get_store()
learner = db.learner(int(st.session_state["fixture-learner"]))
course = state.get_course()
ctx = shell.PageContext(SimpleNamespace(pages={}), course.page("m05"), db, learner, {}, False)
mode = st.session_state.get("fixture-mode", "own")
if mode == "own":
    own_model.train_your_own(ctx)
elif mode == "lab":
    own_model.live_dashboard_lab(ctx)
else:
    charlm_demos.temperature_playground(ctx)
