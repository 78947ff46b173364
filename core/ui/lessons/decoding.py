"""Module 4's decoding comparison: greedy, beam search (width chosen by the learner) and sampling from the best
shipped Shakespeare model, each continuation with its log-probability under the model. Numbers come from
core.lessons.decoding."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.lessons import decoding
from core.models import inference
from core.training import checkpoints
from core.ui import guard, models

MODELS = ("shakespeare-lstm-best", "shakespeare-lstm")  # the best one first; the equal-budget LSTM as a fallback
DEFAULT_PRIME = "The king "
LENGTH = 60
SHOWN = {"\n": "⏎"}


def _model_name() -> str | None:
    try:
        known = set(checkpoints.names())
    except checkpoints.CheckpointError:
        return None
    return next((n for n in MODELS if n in known), None)


@st.cache_data(show_spinner="Decoding...", max_entries=128)
def decode_all(name: str, prime: str, width: int, seed: int) -> list[decoding.Decoded]:
    inference.configure_threads()
    model, vocab = models.load_char_model(name)
    return [decoding.greedy(model, vocab, prime, LENGTH), decoding.beam(model, vocab, prime, LENGTH, width),
            decoding.sample(model, vocab, prime, LENGTH, 1.0, seed), decoding.sample(model, vocab, prime, LENGTH,
                                                                                      0.7, seed)]


@st.fragment
@guard.demo_guard("Decoding comparison")
def decoding_comparison() -> None:
    name = _model_name()
    if name is None:
        st.info("No trained Shakespeare LSTM is shipped here, so this comparison shows nothing rather than made-up "
                "text.", icon=":material/hourglass_empty:")
        return
    cols = st.columns([2, 1])
    prime = cols[0].text_input("Start the text with", DEFAULT_PRIME, max_chars=80, key="m04-dec-prime")
    width = cols[1].slider("beam width", 1, 8, 3, key="m04-dec-width")
    results = decode_all(name, prime, width, 0)
    table = pd.DataFrame([{"method": d.method, f"next {LENGTH} characters": "".join(SHOWN.get(c, c) for c in d.text),
                           "log p (nats)": round(d.logprob, 2), "nats per character": round(d.per_char, 3)}
                          for d in results])
    st.table(table.set_index("method"))  # the continuations wrap here; the dataframe grid cut them
    val = checkpoints.entry(name)["metrics"]["val_loss_nats_per_char"]
    st.caption(f"Model: {name}. Every row is decoded now; log p is the continuation's log-probability under the "
               f"model at τ = 1 (higher = more likely), the same seed for both samples. For scale: real Shakespeare "
               f"held out from training costs this model {val} nats per character (its manifest).")
