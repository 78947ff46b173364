"""Every code lab of the course, by id (ids are part of the interface: pages and stored attempts use them).

A lab holds its starter code, the reference solution, hints and a builder for its hidden tests; the tests run
only on the server (core.labs.grader), never in the learner's sandbox.
"""

from __future__ import annotations

from collections.abc import Callable

from core.labs import grader
from core.labs.exercises.attention import ATTENTION
from core.labs.exercises.base import Lab, Predict
from core.labs.exercises.gates import GRU, LSTM
from core.labs.exercises.probability import CROSS_ENTROPY, SAMPLING, SOFTMAX
from core.labs.exercises.rnn import CLIP_GRADIENTS, RNN_BACKWARD, RNN_FORWARD, RNN_STEP
from core.labs.exercises.train_loop import TRAIN_LOOP

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


def grade(lab: Lab, code: str, *, seed: int = 0, learner: str | None = None,
          on_wait: Callable[[int], None] | None = None, **options) -> grader.GradeReport:
    """Grade learner code for one lab against freshly built hidden tests (`learner`, `on_wait`: see grader.grade)."""
    limits = grader.Limits(total_wall_s=lab.total_wall_s) if lab.total_wall_s else None
    return grader.grade(code, lab.entry, lab.tests(seed, **options), params=lab.params,
                        error_hints=lab.error_hints, learner=learner, on_wait=on_wait, limits=limits)


def get(lab_id: str) -> Lab:
    try:
        return LABS[lab_id]
    except KeyError:
        raise KeyError(f"Unknown lab {lab_id!r}; known: {', '.join(LABS)}") from None


__all__ = ["LABS", "PLACEMENT", "Lab", "Predict", "get", "grade", "templates_zip"]


def templates_zip() -> bytes:
    """The NumPy implementation track as files: each lab's task and starter code (no solutions)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        index = ["# RNN Course: code templates (NumPy track)", "",
                 "Each file is a lab's starter code; its docstring states the task. Fill in the function, then",
                 "check it in the course's code lab of the same name, which grades it against hidden tests.", ""]
        for lab in LABS.values():
            name = f"{lab.id}.py"
            task = lab.prompt.strip().replace('"""', "'''")
            zf.writestr(f"rnn-course-templates/{name}", f'r"""{lab.title}\n\n{task}\n"""\n\n{lab.starter.strip()}\n')
            index.append(f"- {name}: {lab.title}")
        zf.writestr("rnn-course-templates/README.md", "\n".join(index) + "\n")
    return buf.getvalue()
