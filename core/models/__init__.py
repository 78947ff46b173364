"""Recurrent cells from primitives and the character-level language models built on them."""

from core.models.cells import CELLS, GRUCell, LSTMCell, RNNCell, make_cell
from core.models.charlm import CharLM, CharLMConfig, TorchCharLM, Trace, build

__all__ = [
    "CELLS",
    "CharLM",
    "CharLMConfig",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "TorchCharLM",
    "Trace",
    "build",
    "make_cell",
]
