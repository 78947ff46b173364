"""Module 9's three implementation tracks: the live runs of Track A (NumPy) and Track B (PyTorch LSTM), lines of
code counted from the real sources, training speed measured here, and Track C (fine-tuning GPT-2 with Hugging
Face) detected rather than assumed.
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import time
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from core.data import corpora as data
from core.lessons import numpy_rnn
from core.models import charlm, sampling
from core.training import loop as training

HF_MODEL = "gpt2"


@dataclass
class NumpyRun:
    """A Track A run as it goes. Filled in place, so a run interrupted midway keeps the steps it has done."""

    hidden: int
    steps: int
    lr: float
    losses: list[float] = field(default_factory=list)  # nats/char, per step
    samples: list[tuple[int, str]] = field(default_factory=list)  # (step, 160 characters at temperature 0.8)
    chars_per_s: float = 0.0
    stopped: str = "running"  # then "finished" or "time limit (N s)"; still "running" if it was interrupted
    final_sample: str | None = None  # 300 characters at temperature 0.8, once the run has ended

    def tail_mean(self, n: int = 50) -> float:
        """Mean loss over the last n steps (fewer if fewer were done)."""
        tail = self.losses[-n:]
        return sum(tail) / len(tail)


def train_numpy_live(text: str, run: NumpyRun, seq_len: int = 25, max_seconds: float = 60,
                     on_step: Callable[[NumpyRun, int, float, bool], None] | None = None) -> NumpyRun:
    """Train Track A's NumPy char-RNN on `text`, recording into `run`: the loss every step, a sample at the
    first step and every quarter of the run. on_step(run, step, loss, sampled) follows each step; the run stops
    after max_seconds of wall time, whatever its step count."""
    start = time.perf_counter()
    sample_every = max(1, run.steps // 4)

    def record(model: numpy_rnn.CharRNN, i: int, loss: float, norm: float) -> None:
        run.losses.append(loss)
        run.chars_per_s = i * seq_len / (time.perf_counter() - start)
        sampled = i % sample_every == 0 or i == 1
        if sampled:
            run.samples.append((i, model.sample(text[:1], 160, temperature=0.8, seed=i)))
        if on_step is not None:
            on_step(run, i, loss, sampled)

    model = numpy_rnn.train(text, hidden=run.hidden, seq_len=seq_len, lr=run.lr, steps=run.steps, on_step=record,
                            should_stop=lambda: time.perf_counter() - start > max_seconds)
    run.stopped = "finished" if len(model.losses) >= run.steps else f"time limit ({max_seconds:g} s)"
    run.final_sample = model.sample(text[:1], 300, temperature=0.8, seed=0)
    return run


@dataclass(frozen=True)
class LiveLSTM:
    """Track B's short live run: a small nn.LSTM through the course's own training loop."""

    hidden: int = 128
    layers: int = 1
    embed: int = 32
    batch: int = 32
    seq_len: int = 64
    lr: float = 3e-3
    warmup_steps: int = 10
    clip: float = 1.0
    eval_chars: int = 5000


@dataclass
class TorchRun:
    losses: list[float]  # nats/char, per step
    val: float | None  # validation loss at the end (nats/char)
    chars_per_s: float
    steps: int
    sample: str  # 300 characters at temperature 0.8


def train_torch_live(text: str, steps: int, cfg: LiveLSTM | None = None, time_budget_s: float = 60,
                     on_step: Callable[[training.StepInfo], None] | None = None) -> TorchRun:
    """Train Track B's LSTM on `text` for `steps` steps (seed 0), stopping early at the time budget or a NaN."""
    cfg = cfg or LiveLSTM()
    d = data.TextData.from_text(text, "practice")
    torch.manual_seed(0)
    model = charlm.build(charlm.CharLMConfig(kind="lstm", vocab_size=len(d.vocab), hidden=cfg.hidden,
                                             layers=cfg.layers, embed=cfg.embed, backend="torch"))
    train_cfg = training.TrainConfig(batch=cfg.batch, seq_len=cfg.seq_len, lr=cfg.lr, clip=cfg.clip,
                                     warmup_steps=cfg.warmup_steps, max_steps=steps, eval_every=0,
                                     eval_chars=cfg.eval_chars, time_budget_s=time_budget_s, on_nan="stop")
    history = training.train(model, d, train_cfg, on_step=on_step)
    model.eval()
    return TorchRun(losses=history.train_loss, val=history.evals[-1][1] if history.evals else None,
                    chars_per_s=history.chars_seen / max(history.elapsed_s, 1e-9), steps=len(history.steps),
                    sample=sampling.sample(model, d.vocab, 300, 0.8, prime=text[:1], seed=0))


def code_lines(source: str) -> int:
    """Lines that hold code: blank lines, comments and docstrings are not counted."""
    lines: set[int] = set()
    previous = tokenize.INDENT
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        is_docstring = tok.type == tokenize.STRING and previous in (tokenize.INDENT, tokenize.NEWLINE, tokenize.DEDENT)
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER) and not is_docstring:
            lines.update(range(tok.start[0], tok.end[0] + 1))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            previous = tok.type
    return len(lines)


def sources() -> dict[str, str]:
    """The code each track runs: Track A's whole file; Track B's model and training loop; Track C's loop."""
    return {"A": inspect.getsource(numpy_rnn),
            "B": inspect.getsource(charlm.TorchCharLM) + "\n" + inspect.getsource(training.train),
            "C": inspect.getsource(finetune_gpt2)}


def numpy_speed(text: str, hidden: int = 64, seq_len: int = 25, steps: int = 60) -> float:
    """Track A training speed in characters per second (one stream, as min-char-rnn style code runs)."""
    start = time.perf_counter()
    numpy_rnn.train(text, hidden=hidden, seq_len=seq_len, steps=steps)
    return steps * seq_len / (time.perf_counter() - start)


def torch_speed(text: str, hidden: int = 64, steps: int = 15, batch: int = 32, seq_len: int = 64) -> float:
    """Track B training speed in characters per second: a 1-layer nn.LSTM through core.training.loop, 1 thread."""
    torch.set_num_threads(1)
    d = data.TextData.from_text(text, "practice")
    model = charlm.build(charlm.CharLMConfig(kind="lstm", vocab_size=len(d.vocab), hidden=hidden, layers=1,
                                             embed=32, backend="torch"))
    cfg = training.TrainConfig(batch=batch, seq_len=seq_len, max_steps=steps, eval_every=0, eval_chars=1000)
    history = training.train(model, d, cfg)
    return history.chars_seen / max(history.elapsed_s, 1e-9)


def hf_status(model_name: str = HF_MODEL) -> tuple[bool, str]:
    """(can Track C run here, why): needs the transformers package and the weights already on disk."""
    if importlib.util.find_spec("transformers") is None:
        return False, ("The `transformers` package is not installed on this server, so Track C cannot run here. "
                       "The code below is the loop it would run.")
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(model_name, "config.json")
    except Exception as e:  # noqa: BLE001 (any problem with the cache means: no weights we can use)
        return False, f"`transformers` is installed, but the local model cache could not be read ({e})."
    if not isinstance(cached, str):
        return False, (f"`transformers` is installed, but the {model_name} weights are not in the local cache, "
                       "and this server does not download models. The code below is the loop it would run.")
    return True, f"`transformers` and the {model_name} weights are available on this server."


def finetune_gpt2(text: str, steps: int = 20, model_name: str = HF_MODEL, lr: float = 5e-5, block: int = 64,
                  seed: int = 0, on_step: Callable[[int, float], None] | None = None) -> tuple[list[float], str]:
    """Fine-tune a pretrained GPT-2 on `text` for a few steps; returns the losses and a short sample.

    The same loop as the other tracks (forward, loss, backward, clip, update); only the model is borrowed.
    Runs only from weights already on disk (local_files_only): nothing is downloaded.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_name, local_files_only=True)
    ids = tokenizer(text, return_tensors="pt").input_ids[0]  # (N,) sub-word tokens, not characters
    if len(ids) <= block:
        raise ValueError(f"Need more than {block} tokens of text, got {len(ids)}.")
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses = []
    for step in range(1, steps + 1):
        starts = torch.randint(len(ids) - block, (4,))
        x = torch.stack([ids[s : s + block] for s in starts])  # (4, block)
        loss = model(input_ids=x, labels=x).loss  # the model shifts the labels by one token itself
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, loss.item())
    model.eval()
    prompt = tokenizer(text[:40], return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(prompt, max_new_tokens=60, do_sample=True, temperature=0.8, top_k=50,
                             pad_token_id=tokenizer.eos_token_id)
    return losses, tokenizer.decode(out[0])
