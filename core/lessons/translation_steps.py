"""The translation sandbox's view inside a dates seq2seq model: the context vector the encoder hands over, and the
decoder's greedy steps one by one (its top candidates and, with attention, where it looked). Module 6 shows these.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch

from core.data import tasks
from core.models.seq2seq import Seq2Seq
from core.training import date_check


@dataclass
class Step:
    char: str  # the character written at this step ("<eos>" at the end)
    top: list[tuple[str, float]]  # the three most likely characters and their probabilities
    looked_at: int | None  # source position with the most attention (None without attention)


@dataclass
class Walkthrough:
    text: str  # what the model read
    output: str
    context: list[float]  # the encoder's summary vector (both directions' final states)
    steps: list[Step]
    notes: list[str]
    check: date_check.Check | None = None  # reasons not to trust `output` (None when nothing was read)


def walkthrough(model: Seq2Seq, text: object) -> Walkthrough:
    """Greedy decoding of `text`, one step at a time, with what each step saw. Never raises on input."""
    clean, notes = tasks.check_learner_text(text)
    if not clean:
        return Walkthrough("", "", [], [], notes)
    ids = tasks.SRC_VOCAB.encode(clean)
    device = next(model.parameters()).device
    src, src_len = torch.tensor([ids], device=device), torch.tensor([len(ids)], device=device)
    steps: list[Step] = []
    log_prob = 0.0
    with torch.inference_mode():
        annotations, summary, mask, keys, s = model._start(src, src_len)
        enc = (annotations, summary, mask, keys)
        y_prev = torch.tensor([model.cfg.sos_id], device=device)
        cov = torch.zeros(src.shape, device=device)  # (1, S)
        for _ in range(model.cfg.max_out):
            logits, s, alpha, cov = model._step(y_prev, s, enc, cov)
            p = torch.softmax(logits[0], -1)  # (V,)
            q, i = p.topk(3)
            top = [(tasks.TGT_VOCAB.tokens[j], round(float(v), 4)) for v, j in zip(q.tolist(), i.tolist(), strict=True)]
            y = int(p.argmax())
            log_prob += float(torch.log(p[y]))
            steps.append(Step(tasks.TGT_VOCAB.tokens[y], top, int(alpha[0].argmax()) if alpha is not None else None))
            if y == model.cfg.eos_id:
                break
            y_prev = torch.tensor([y], device=device)
    if steps and steps[-1].char != tasks.TGT_VOCAB.tokens[model.cfg.eos_id]:
        notes.append("The model never produced its end token; the answer was cut at the length limit.")
    output = tasks.TGT_VOCAB.decode([tasks.TGT_VOCAB.index[step.char] for step in steps])
    check = date_check.check_answer(clean, output, math.exp(log_prob))
    return Walkthrough(clean, output, [round(v, 4) for v in summary[0].tolist()], steps, notes, check)


def memo(length: int, seed: int) -> tasks.DatePair:
    """A held-out memo of about `length` characters (the kind of input the models were tested on)."""
    return tasks.long_example(random.Random(seed), length, "test")


def exact_match_shares(correct: list[str], predictions: dict[str, list[str]]) -> dict[str, float]:
    """{model label: share of its answers identical to the correct ones}, for memos read by several models."""
    return {label: sum(p == c for p, c in zip(preds, correct, strict=True)) / max(1, len(correct))
            for label, preds in predictions.items()}
