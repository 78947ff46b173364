"""Cached loading of shipped checkpoints (one read-only model per process, shared by every session) and of a
learner's own trained runs, plus the model picker that lets every explainer view switch to the learner's model.
A shipped model that cannot be loaded raises CheckpointError (never cached): demos catch it with
core.ui.guard.demo_guard, so it costs only that demo."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from torch import nn

from core.data.corpora import Vocab
from core.jobs import runs as learner_runs
from core.models import inference, sampling
from core.training import checkpoints
from core.training import seq2seq as seq2seq_training
from core.ui import guard


def _shipped(load, name: str):
    """`load(name)`, with an unreadable file (permissions, I/O error) reported like a damaged one."""
    try:
        return load(name)
    except OSError as exc:
        raise checkpoints.CheckpointError(f"Checkpoint {name!r} could not be read ({exc}).") from exc


@st.cache_resource(show_spinner="Loading model...")
def get_model(name: str) -> tuple[nn.Module, dict]:
    """(model, manifest entry) for a shipped checkpoint: verified, in eval mode, frozen, on the chosen device.
    Never train or mutate it; run it under core.models.inference.inference() with the state passed explicitly."""
    inference.configure_threads()
    model, entry = _shipped(checkpoints.load, name)
    return inference.prepare(model), entry


OWN_PREFIX = "own:"


@dataclass(frozen=True)
class ModelChoice:
    model: nn.Module  # read-only, shared: run it under core.models.inference.inference()
    vocab: Vocab
    name: str  # cache key: a checkpoint name, or "own:<learner>:<run>" for a learner's run
    label: str  # what the page shows
    is_own: bool
    config: dict


def own_key(learner_id: int, run_id: str) -> str:
    return f"{OWN_PREFIX}{learner_id}:{run_id}"


@st.cache_resource(show_spinner="Loading your model...", max_entries=32, ttl=3600)
def get_own_model(learner_id: int, run_id: str) -> tuple[nn.Module, Vocab, learner_runs.RunRecord]:
    """A learner's saved run, prepared read-only like the shipped models (KeyError for someone else's id)."""
    inference.configure_threads()
    model, vocab, record = learner_runs.load_run(learner_id, run_id)
    return inference.prepare(model), vocab, record


@st.cache_resource(show_spinner="Loading a translation model...")
def get_seq2seq(name: str) -> tuple[nn.Module, dict]:
    """(model, manifest entry) for a shipped dates seq2seq checkpoint: verified, eval mode, frozen, shared."""
    inference.configure_threads()
    model, entry = _shipped(seq2seq_training.load, name)
    return inference.prepare(model), entry


def load_char_model(name: str) -> tuple[nn.Module, Vocab]:
    """(model, vocab) for a shipped checkpoint name or an own_key(); demos cache on this name."""
    if name.startswith(OWN_PREFIX):
        learner, _, run_id = name[len(OWN_PREFIX):].partition(":")
        model, vocab, _ = get_own_model(int(learner), run_id)
        return model, vocab
    model, entry = get_model(name)
    return model, checkpoints.vocab_of(entry)


@st.cache_data(show_spinner="Sampling...", max_entries=256)
def sample(name: str, prime: str, tau: float, seed: int, length: int) -> str:
    """`length` characters after `prime` from a shipped checkpoint or an own_key() model (cached per setting)."""
    model, vocab = load_char_model(name)
    return sampling.sample(model, vocab, length, tau, prime=prime, seed=seed)


def shipped_charlms(kinds: tuple[str, ...] | None = None) -> dict[str, dict]:
    """Shipped char-model checkpoints (name -> manifest entry), optionally only some cell kinds."""
    try:
        entries = checkpoints.read_manifest()["checkpoints"]
        names = checkpoints.names()
    except checkpoints.CheckpointError:
        return {}
    return {n: entries[n] for n in names if kinds is None or entries[n]["config"]["kind"] in kinds}


def own_label(record: learner_runs.RunRecord) -> str:
    cfg = record.config
    loss = f", val {record.val_loss:.2f}" if record.val_loss is not None else ""
    return (f"Your model: {record.title} ({cfg['kind'].upper()} {cfg['layers']}×{cfg['hidden']}, "
            f"{record.steps} steps{loss})")


def pick_charlm(ctx, key: str, default: str, help: str | None = None, kinds: tuple[str, ...] | None = None,
                label: str = "Model") -> ModelChoice | None:
    """A select box of the shipped char models plus this learner's own trained runs ("your model everywhere").
    Returns None (after saying why) when neither exists. `kinds` keeps only some cells, e.g. ("lstm",)."""
    options: dict[str, str] = {}
    shipped = shipped_charlms(kinds)
    for name, entry in shipped.items():
        options[name] = entry.get("title", name)
    runs = []
    if ctx is not None:
        try:
            runs = [r for r in learner_runs.list_runs(ctx.learner.id) if kinds is None or r.config["kind"] in kinds]
        except (OSError, ValueError):
            runs = []
    for r in runs:
        options[own_key(ctx.learner.id, r.run_id)] = own_label(r)
    if not options:
        st.info("No trained model is available for this view yet (none shipped, none trained by you).",
                icon=":material/hourglass_empty:")
        return None
    names = list(options)
    index = names.index(default) if default in names else 0
    if runs and help is None:
        help = "Pick one of your own models (trained in Module 5) to see this view on what it learned."
    name = st.selectbox(label, names, index=index, format_func=options.get, key=key, help=help)
    try:
        model, vocab = load_char_model(name)
    except (KeyError, OSError, ValueError, RuntimeError) as e:  # CheckpointError is a RuntimeError
        _not_loaded(name, e)
        return None
    is_own = name.startswith(OWN_PREFIX)
    return ModelChoice(model, vocab, name, options[name], is_own, model.cfg.to_dict())


def pick_own(ctx, key: str, kinds: tuple[str, ...] | None = None,
             label: str = "Your trained model") -> ModelChoice | None:
    """A select box of only this learner's runs with a 'none' first option (for views that compare with the
    shipped models). Nothing is drawn when the learner has no run."""
    if ctx is None:
        return None
    try:
        runs = [r for r in learner_runs.list_runs(ctx.learner.id) if kinds is None or r.config["kind"] in kinds]
    except (OSError, ValueError):
        return None
    if not runs:
        return None
    options = {"": "none"} | {own_key(ctx.learner.id, r.run_id): own_label(r) for r in runs}
    name = st.selectbox(label, list(options), format_func=options.get, key=key)
    if not name:
        return None
    try:
        model, vocab = load_char_model(name)
    except (KeyError, OSError, ValueError, RuntimeError) as e:
        _not_loaded(name, e)
        return None
    return ModelChoice(model, vocab, name, options[name], True, model.cfg.to_dict())


def _not_loaded(name: str, exc: BaseException) -> None:
    """A picked model that cannot be loaded: a plain message (no server paths), the details in the log."""
    if not name.startswith(OWN_PREFIX):
        guard.report(name, exc)
        st.caption("Pick another model above.")
        return
    guard.log.warning("A learner's saved model %s could not be loaded: %s: %s", name, type(exc).__name__, exc)
    st.error("This saved model of yours could not be loaded (its files may be damaged). Pick another one.",
             icon=":material/error:")


WARM = ("shakespeare-rnn", "shakespeare-lstm")  # the char models the Module 2-4 pages open with
WARM_SEQ2SEQ = ("dates-attention",)  # Module 6-7's translation demos


def warm_up(names: tuple[str, ...] = WARM, seq2seq: tuple[str, ...] = WARM_SEQ2SEQ) -> list[str]:
    """Load the shipped models the module pages open with into this process's cache (get_model, get_seq2seq) and
    run a few characters through the compiled sampler so Numba's machine code is loaded too. Called once per
    process by core.ui.warmup's background thread; returns the names it loaded (missing checkpoints are skipped)."""
    loaded = []
    for name in names:
        try:
            model, entry = get_model(name)
        except (KeyError, OSError, ValueError, RuntimeError, checkpoints.CheckpointError):
            continue
        sampling.sample(model, checkpoints.vocab_of(entry), 4, 1.0, prime="\n", seed=0)  # loads the compiled loop
        loaded.append(name)
    for name in seq2seq:
        try:
            get_seq2seq(name)
        except (KeyError, OSError, ValueError, RuntimeError, checkpoints.CheckpointError):
            continue
        loaded.append(name)
    return loaded
