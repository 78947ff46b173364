"""Module 9's bug hunts as real, short runs: a learning rate far too high without clipping (the loss explodes),
one far too low (the loss does not move), and sampling at a temperature near 0 (the text loops).

The training runs use a tiny vanilla RNN and plain SGD, where clipping is what stands between a large step and
an explosion; each takes a few CPU seconds. The page caches them per process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.data import corpora as data
from core.models import sampling
from core.models.charlm import CharLMConfig, build
from core.training import loop as training

# Our own short passage, used when the Tiny Shakespeare file is not on this machine (e.g. on CI).
BUILTIN_TEXT = (
    "A recurrent network reads one character at a time. It keeps a small vector, its hidden state, and\n"
    "updates it with every character it sees. From that state it guesses the next character. When the\n"
    "guess is wrong, the error flows back through every step it has read, and each weight moves a\n"
    "little. Read enough text and the guesses get better: first the common letters, then spaces and\n"
    "short words, then punctuation and line breaks, and at last whole phrases that sound right.\n"
    "Train it too fast and the weights blow up; train it too slowly and nothing happens at all.\n"
    "Sample it too cold and it repeats itself; sample it too hot and it babbles. The craft is in\n"
    "the middle: a sensible step size, clipped gradients, and a look at the samples every so often.\n"
)


def practice_text(chars: int = 30_000) -> tuple[str, str]:
    """(text, where it came from): the first `chars` of Tiny Shakespeare if present, else BUILTIN_TEXT."""
    try:
        text = data.corpus_path("tinyshakespeare", download=False).read_text(encoding="utf-8")[:chars]
        return text, f"the first {len(text):,} characters of Tiny Shakespeare"
    except data.CorpusError:
        return BUILTIN_TEXT, f"a built-in passage of {len(BUILTIN_TEXT):,} characters (Tiny Shakespeare is absent)"


@dataclass
class Run:
    label: str
    lr: float
    clip: float  # 0: off
    optimizer: str
    losses: list[float] = field(default_factory=list)  # training loss per step (nats/char)
    grad_norms: list[float] = field(default_factory=list)  # before clipping
    start_loss: float = 0.0  # ln(vocabulary size): a uniform guess
    blew_up_at: int | None = None  # first step whose loss exceeded twice the uniform guess
    diverged_at: int | None = None  # the step whose loss was inf/NaN or beyond core.training.loop's limit (run stops)
    message: str = ""

    @property
    def final_loss(self) -> float:
        tail = [v for v in self.losses[-20:] if math.isfinite(v)]
        return sum(tail) / len(tail) if tail else float("nan")


def _model(vocab_size: int, hidden: int, seed: int):
    torch.manual_seed(seed)
    return build(CharLMConfig(kind="rnn", vocab_size=vocab_size, hidden=hidden, layers=1, embed=16, backend="torch"))


def sgd_run(text: str, lr: float, clip: float, steps: int = 200, hidden: int = 64, seed: int = 0,
            label: str = "") -> tuple[Run, torch.nn.Module, data.Vocab]:
    """Plain SGD on a tiny RNN, truncated BPTT over windows of 32 characters, 16 streams."""
    torch.set_num_threads(1)
    d = data.TextData.from_text(text, "practice")
    model = _model(len(d.vocab), hidden, seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batches = data.Batches(d.train, 16, 32, seed=seed)
    run = Run(label or f"SGD lr {lr:g}, clip {clip or 'off'}", lr, clip, "SGD", start_loss=math.log(len(d.vocab)))
    explode_at = 20.0 * run.start_loss + 20.0  # the limit core.training.loop uses to call a run diverged
    state = None
    for step in range(1, steps + 1):
        x, y, new_epoch = batches.get(step - 1)
        logits, state, _ = model(x, None if new_epoch else state)
        state = training.detach_state(state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip > 0 else float("inf")))
        run.losses.append(loss.item())
        run.grad_norms.append(norm)
        if run.blew_up_at is None and loss.item() > 2 * run.start_loss:
            run.blew_up_at = step
        if not (math.isfinite(loss.item()) and math.isfinite(norm)) or loss.item() > explode_at:
            run.diverged_at = step
            run.message = f"Stopped at step {step}: loss {loss.item():.4g}, gradient norm {norm:.4g}."
            break
        opt.step()
    model.eval()
    return run, model, d.vocab


def adam_run(text: str, lr: float, clip: float, steps: int = 200, hidden: int = 64, seed: int = 0) -> Run:
    """The course's own loop (core.training.loop: Adam, warmup off) on the same tiny RNN, stopping if it diverges."""
    torch.set_num_threads(1)
    d = data.TextData.from_text(text, "practice")
    model = _model(len(d.vocab), hidden, seed)
    cfg = training.TrainConfig(batch=16, seq_len=32, lr=lr, clip=clip, warmup_steps=0, max_steps=steps,
                               eval_every=0, eval_chars=2000, seed=seed, on_nan="stop")
    history = training.train(model, d, cfg)
    run = Run(f"Adam lr {lr:g}, clip {clip or 'off'}", lr, clip, "Adam", history.train_loss, history.grad_norm,
              math.log(len(d.vocab)))
    run.blew_up_at = next((i + 1 for i, v in enumerate(run.losses) if v > 2 * run.start_loss), None)
    if history.diverged:
        run.diverged_at, run.message = len(run.losses) + 1, history.message
    return run


@dataclass(frozen=True)
class Loop:
    unit: str  # the repeating piece at the end of the text
    period: int
    covered: int  # characters at the end of the text that follow the loop

    def share(self, text: str) -> float:
        return self.covered / max(1, len(text))


def repeating_tail(text: str, max_period: int = 80) -> Loop:
    """The period p whose repetition covers the longest stretch at the end of `text` (text[i] == text[i + p])."""
    best = Loop("", 0, 0)
    for p in range(1, min(max_period, len(text) // 2) + 1):
        i = len(text) - p - 1
        while i >= 0 and text[i] == text[i + p]:
            i -= 1
        covered = len(text) - (i + 1)
        if covered >= 3 * p and covered > best.covered:  # at least three repeats
            best = Loop(text[-p:], p, covered)
    return best


def cold_samples(model: torch.nn.Module, vocab: data.Vocab, prime: str, taus: tuple[float, ...],
                 length: int = 300, seed: int = 0) -> dict[float, tuple[str, Loop]]:
    """A sample per temperature (0 = greedy) and the loop at its end, from core.models.sampling."""
    out = {}
    for tau in taus:
        text = sampling.sample(model, vocab, length, tau, prime=prime, seed=seed)
        out[tau] = (text, repeating_tail(text))
    return out


@dataclass(frozen=True)
class Hunt:
    id: str
    title: str
    symptom: str
    diagnoses: tuple[str, ...]
    diagnosis: int  # index of the right one
    fixes: tuple[str, ...]
    fix: int


HUNTS = (
    Hunt("explode", "Bug hunt 1 (easy): the loss shoots up",
         "A colleague's run starts at the loss of a uniform guess, then jumps far above it within a few dozen "
         "steps and never comes back down.",
         ("The model is too small for the data", "Exploding gradients: steps far too large, nothing limits them",
          "The validation set is too different from the training set", "The sampling temperature is too high"), 1,
         ("Train for more steps", "Clip the gradient norm and lower the learning rate", "Add dropout",
          "Use a bigger hidden size"), 1),
    Hunt("stuck", "Bug hunt 2 (medium): the loss will not move",
         "Another run shows a loss that stays flat at about the same value from the first step to the last.",
         ("Exploding gradients", "Overfitting", "The learning rate is far too small", "Clipping is switched on"), 2,
         ("Raise the learning rate (for SGD here: towards 1; for Adam: about 1e-3 to 3e-3)",
          "Switch clipping off", "Lower the learning rate further", "Add dropout"), 0),
    Hunt("repeat", "Bug hunt 3 (hard): the same text over and over",
         "A well-trained model produces a few sensible words, then repeats the same short piece until the end.",
         ("The model is untrained", "Sampling with a temperature near 0, which always picks the top character",
          "Gradient clipping is too strict", "The hidden size is too large"), 1,
         ("Retrain with a higher learning rate", "Sample at a temperature around 0.7 to 1.0 (or use top-k)",
          "Set the temperature to exactly 0", "Clip harder"), 1),
)


# Which bug hunt shows each action of assets/troubleshooting.yaml happening for real.
LEAF_HUNTS = {"fix_explode": "explode", "fix_lr_up": "stuck"}


def failure_rows(flow) -> list[dict[str, str]]:
    """One row per action of the troubleshooting flowchart (core.course.troubleshooting): the answers that lead to it,
    the action, and the bug hunt that demonstrates it, if any."""
    rows: list[dict[str, str]] = []

    def walk(node_id: str, path: list[str]) -> None:
        node = flow.nodes[node_id]
        if node.is_action:
            rows.append({"symptom": " → ".join(path), "what to do": node.text,
                         "see it happen": LEAF_HUNTS.get(node_id, "")})
            return
        for answer, target in node.answers.items():
            hop = f"{node.text} {answer.upper()}"
            last_hop = flow.nodes[target].is_action
            walk(target, [*path, hop] if answer == "yes" or last_hop else path)

    walk(flow.start, [])
    return rows
