"""Every code lab of the course, by id (ids are part of the interface: pages and stored attempts use them).

A lab holds its starter code, the reference solution, hints and a builder for its hidden tests; the tests run
only on the server (core.grader), never in the learner's sandbox.
"""

from __future__ import annotations

from core import grader
from core.exercises.attention import ATTENTION
from core.exercises.base import Lab, Predict
from core.exercises.gates import GRU, LSTM
from core.exercises.probability import CROSS_ENTROPY, SAMPLING, SOFTMAX
from core.exercises.rnn import CLIP_GRADIENTS, RNN_BACKWARD, RNN_FORWARD, RNN_STEP
from core.exercises.train_loop import TRAIN_LOOP

LABS: dict[str, Lab] = {lab.id: lab for lab in (
    RNN_STEP, RNN_FORWARD, SOFTMAX, CROSS_ENTROPY, SAMPLING, ATTENTION, LSTM, GRU, RNN_BACKWARD, CLIP_GRADIENTS,
    TRAIN_LOOP,
)}

# Where each lab lives in the course: page id -> (planned element in assets/course.yaml it builds, lab ids)
PLACEMENT: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "m02": (("Code lab: RNN step function", ("rnn_step",)),),
    "m04": (("Code lab: cross-entropy loss", ("softmax", "cross_entropy_loss")),
            ("Code lab: sampling with temperature", ("sample_with_temperature",))),
    "m07": (("Code lab: implement attention", ("compute_attention",)),),
    "m09": (("Lab 1: forward pass", ("rnn_forward",)),
            ("Lab 2: loss computation", ("cross_entropy_loss",)),
            ("Lab 3: backward pass (BPTT)", ("rnn_backward", "clip_gradients")),
            ("Lab 4: full training loop", ("train_loop",)),
            ("", ("lstm_cell_forward", "gru_cell_forward"))),  # beyond the plan: gated cells from primitives
}


def grade(lab: Lab, code: str, *, seed: int = 0, learner: str | None = None, **options) -> grader.GradeReport:
    """Grade learner code for one lab against freshly built hidden tests."""
    return grader.grade(code, lab.entry, lab.tests(seed, **options), params=lab.params,
                        error_hints=lab.error_hints, learner=learner)


def get(lab_id: str) -> Lab:
    try:
        return LABS[lab_id]
    except KeyError:
        raise KeyError(f"Unknown lab {lab_id!r}; known: {', '.join(LABS)}") from None


__all__ = ["LABS", "PLACEMENT", "Lab", "Predict", "get", "grade"]
