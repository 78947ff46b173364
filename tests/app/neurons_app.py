"""A bare page hosting the Module 5 neuron widgets for tests/app/test_neurons_ui.py (session_state["which"])."""

from types import SimpleNamespace

import streamlit as st
import torch

from core.cohort import store
from core.data import corpora as data
from core.models.charlm import CharLM, CharLMConfig
from core.ui.lessons import neurons as neurons_ui

which = st.session_state.get("which") or st.query_params.get("which", "explorer")
if which == "explorer":  # linux-lstm by default, with its held-out analysis
    neurons_ui.explorer(None, "t-ex")  # no learner: the shipped models only
elif which == "own":  # a learner's own model: no held-out analysis, torch backend
    torch.manual_seed(0)
    vocab = data.Vocab.from_text("abc \n\"()")
    own = CharLM(CharLMConfig(kind="gru", vocab_size=len(vocab), hidden=16, layers=1, embed=8)).eval()
    neurons_ui.activation_explorer("t-own", own, vocab, "your model", None, default_text='a "bc" (a)\nab')
elif which == "summary":
    neurons_ui.analysis_summary()
else:
    db = store.open_store()
    ctx = SimpleNamespace(store=db, learner=db.learner(int(st.session_state.get("learner_id")
                                                           or st.query_params.get("learner_id", 1))))
    neurons_ui.neuron_detective(ctx, st.session_state.get("results"))
