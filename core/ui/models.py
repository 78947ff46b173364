"""Cached loading of shipped checkpoints: one read-only model per process, shared by every session."""

from __future__ import annotations

import streamlit as st
from torch import nn

from core import checkpoints, inference


@st.cache_resource(show_spinner="Loading model...")
def get_model(name: str) -> tuple[nn.Module, dict]:
    """(model, manifest entry) for a shipped checkpoint: verified, in eval mode, frozen, on the chosen device.
    Never train or mutate it; run it under core.inference.inference() with the state passed explicitly."""
    inference.configure_threads()
    model, entry = checkpoints.load(name)
    return inference.prepare(model), entry
