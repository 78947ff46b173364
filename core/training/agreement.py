"""Number agreement with a tiny transformer (Module 8 preview): synthetic sentences such as "the key near the
old cabinets <verb>", where the model must say whether the verb is singular ("is") or plural ("are") -- the
subject may sit many words and several distracting nouns away. `python -m core.train --recipe agreement-transformer`
trains and ships it; its attention weights show where the verb position looks.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from core.models.tinytransformer import TinyTransformer, TinyTransformerConfig
from core.training import checkpoints
from core.training.loop import backward_clipped
from core.training.runs import hardware

RECIPE = "agreement-transformer"
MODEL_TYPE = "agreement-transformer"
TITLE = "Tiny transformer encoder: subject-verb number agreement across distractor nouns"
NOUNS = (("cat", "cats"), ("dog", "dogs"), ("key", "keys"), ("author", "authors"), ("pilot", "pilots"),
         ("teacher", "teachers"), ("box", "boxes"), ("child", "children"), ("report", "reports"),
         ("manager", "managers"), ("window", "windows"), ("song", "songs"))
ADJECTIVES = ("old", "small", "red", "busy", "new", "quiet")
PREPOSITIONS = ("near", "behind", "on", "with", "beside", "under", "of")
OPENERS = ((), ("today",), ("yesterday", ","), ("in", "the", "morning"), ("after", "the", "meetings"), ("i", "think"))
VERB, PAD = "<verb>", "<pad>"
LABELS = ("is (singular)", "are (plural)")
WORDS = tuple(dict.fromkeys([PAD, VERB, "the", "that", "saw", "liked", *[w for o in OPENERS for w in o],
                             *ADJECTIVES, *PREPOSITIONS, *[w for pair in NOUNS for w in pair]]))
INDEX = {w: i for i, w in enumerate(WORDS)}
NUMBER = {w: n for pair in NOUNS for n, w in enumerate(pair)} | {"morning": 0, "meetings": 1}


@dataclass(frozen=True)
class Sentence:
    words: tuple[str, ...]  # ends with VERB
    subject: int  # index of the subject noun in words
    label: int  # 0 singular, 1 plural
    modifiers: int  # phrases between subject and verb

    @property
    def nearest_noun_disagrees(self) -> bool:
        """True when the last noun before the verb has the other number (a 'nearest noun' guess fails)."""
        last = next(w for w in reversed(self.words) if w in NUMBER)
        return NUMBER[last] != self.label


def _noun_phrase(rng: random.Random) -> list[str]:
    noun = rng.choice(NOUNS)[rng.randrange(2)]
    return ["the", *([rng.choice(ADJECTIVES)] if rng.random() < 0.4 else []), noun]


def make_sentence(rng: random.Random, modifiers: int) -> Sentence:
    """An opener, the subject noun phrase, `modifiers` prepositional or relative phrases, then the verb slot."""
    words = list(rng.choice(OPENERS)) + ["the"] + ([rng.choice(ADJECTIVES)] if rng.random() < 0.4 else [])
    label = rng.randrange(2)
    subject = len(words)
    words.append(rng.choice(NOUNS)[label])
    for _ in range(modifiers):
        kind = rng.randrange(3)
        if kind == 0:
            words += [rng.choice(PREPOSITIONS), *_noun_phrase(rng)]
        elif kind == 1:
            words += ["that", "saw", *_noun_phrase(rng)]
        else:
            words += ["that", *_noun_phrase(rng), "liked"]
    return Sentence(tuple(words + [VERB]), subject, label, modifiers)


def encode(words: list[str] | tuple[str, ...]) -> list[int]:
    unknown = [w for w in words if w not in INDEX]
    if unknown:
        raise ValueError(f"Unknown word(s): {', '.join(dict.fromkeys(unknown))}.")
    return [INDEX[w] for w in words]


def parse(text: str, max_len: int = 40) -> tuple[str, ...]:
    """A learner's sentence -> words ending with the verb slot; a clear ValueError for anything unusable."""
    words = text.lower().replace(",", " , ").replace(VERB, " ").split()
    if not words:
        raise ValueError("Type a sentence first, e.g. 'the key near the cabinets'.")
    if len(words) + 1 > max_len:
        raise ValueError(f"That is {len(words)} words; the model has room for {max_len - 1} plus the verb slot.")
    encode(words)
    if not any(w in NUMBER for w in words):
        raise ValueError("The sentence needs at least one noun from the vocabulary to agree with.")
    return tuple(words) + (VERB,)


def batch(sentences: list[Sentence]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x (B, T) padded ids, query (B,) verb positions, y (B,), pad (B, T) True at padding)."""
    T = max(len(s.words) for s in sentences)
    x = torch.full((len(sentences), T), INDEX[PAD])
    for i, s in enumerate(sentences):
        x[i, : len(s.words)] = torch.tensor(encode(s.words))
    query = torch.tensor([len(s.words) - 1 for s in sentences])
    return x, query, torch.tensor([s.label for s in sentences]), x == INDEX[PAD]


@dataclass
class AgreementConfig:
    steps: int = 2500
    batch: int = 64
    max_modifiers: int = 3  # trained on 0..3 phrases between subject and verb; scored out to 5
    lr: float = 3e-3
    clip: float = 1.0
    seed: int = 0
    eval_n: int = 400  # sentences per number of modifiers
    eval_seed: int = 1
    model: dict = field(default_factory=lambda: TinyTransformerConfig(vocab_size=len(WORDS)).to_dict())


def train(cfg: AgreementConfig, log=print) -> tuple[TinyTransformer, dict]:
    torch.manual_seed(cfg.seed)
    model = TinyTransformer(TinyTransformerConfig(**cfg.model))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    rng, losses, t0 = random.Random(f"agreement-{cfg.seed}"), [], time.process_time()
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * step / cfg.steps))
        x, q, y, pad = batch([make_sentence(rng, rng.randint(0, cfg.max_modifiers)) for _ in range(cfg.batch)])
        loss = model.loss(x, q, y, pad)
        backward_clipped(opt, loss, model, cfg.clip)
        opt.step()
        losses.append(loss.item())
        if (step + 1) % 250 == 0:
            log(f"[{RECIPE}] step {step + 1} loss {sum(losses[-250:]) / 250:.4f} {time.process_time() - t0:.0f}s cpu")
    curve = [round(sum(losses[i: i + 50]) / len(losses[i: i + 50]), 4) for i in range(0, len(losses), 50)]
    return model.eval(), {"loss_every_50": curve, "cpu_s": round(time.process_time() - t0, 1)}


def evaluate(model: TinyTransformer, n: int = 400, seed: int = 1, max_modifiers: int = 5) -> dict:
    """Accuracy by number of modifiers, on the hard cases (nearest noun disagrees), and the mean attention the
    verb position pays to the subject noun, per layer and head -- all on fresh sentences."""
    rng = random.Random(f"agreement-eval-{seed}")
    by_mod, hard, on_subject = {}, [], None
    with torch.inference_mode():
        for k in range(max_modifiers + 1):
            sents = [make_sentence(rng, k) for _ in range(n)]
            x, q, y, pad = batch(sents)
            logits, maps = model(x, q, pad)
            ok = (logits.argmax(-1) == y).tolist()
            by_mod[str(k)] = round(sum(ok) / n, 4)
            hard += [o for o, s in zip(ok, sents, strict=True) if s.nearest_noun_disagrees]
            rows = torch.arange(n)
            subj = torch.tensor([s.subject for s in sents])
            share = torch.stack([w[rows, :, q, subj] for w in maps], 1).sum(0)  # (layers, heads), summed
            on_subject = share if on_subject is None else on_subject + share
    total = n * (max_modifiers + 1)
    return {"accuracy_by_modifiers": by_mod, "hard_case_accuracy": round(sum(hard) / max(1, len(hard)), 4),
            "hard_cases": len(hard), "attention_on_subject": (on_subject / total).round(decimals=4).tolist()}


def predict(model: TinyTransformer, words: tuple[str, ...]) -> tuple[list[float], list[list[list[list[float]]]]]:
    """(probabilities [singular, plural], attention [layer][head][query][key]) for one sentence ending in VERB."""
    x = torch.tensor([encode(words)])
    with torch.inference_mode():
        logits, maps = model(x, torch.tensor([len(words) - 1]))
    return logits.softmax(-1)[0].tolist(), [m[0].tolist() for m in maps]


def untrained(cfg: TinyTransformerConfig, seed: int = 0) -> TinyTransformer:
    """The same architecture at its random initialisation (for the before/after comparison)."""
    torch.manual_seed(seed)
    return TinyTransformer(cfg).eval()


def run(resume: bool, threads: int, cfg: AgreementConfig | None = None) -> dict:
    cfg = cfg or AgreementConfig()
    model, training = train(cfg, log=lambda s: print(s, flush=True))
    path = checkpoints.CHECKPOINT_DIR / f"{RECIPE}.pt"
    facts = checkpoints.save_file(path, model, model_type=MODEL_TYPE)
    metrics = evaluate(load_file(path), cfg.eval_n, cfg.eval_seed)
    entry = {
        "title": TITLE, "kind": "transformer", "model_type": MODEL_TYPE, "tags": ["module8", "transformer"],
        "config": asdict(cfg), "params": sum(p.numel() for p in model.parameters()),
        **facts,
        "metrics": {**metrics, "eval": f"{cfg.eval_n} fresh sentences per number of modifiers (seed {cfg.eval_seed})"},
        "task": "opener, subject noun phrase, 0-3 prepositional/relative phrases with their own nouns, then the "
                "verb slot: predict is/are (core.training.agreement.make_sentence)",
        "training": training,
        "recipe": {"name": RECIPE, "command": f"python -m core.train --recipe {RECIPE}", "script": "core/training/agreement.py"},
        "hardware": hardware(threads, torch.device("cpu")),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(RECIPE, entry)
    print(f"[{RECIPE}] saved {path.name} ({entry['bytes']:,} bytes): {metrics}", flush=True)
    return entry


# ---------------------------------------------------------------- checkpoint file (core.training.checkpoints reads it)
FAMILY = checkpoints.family(MODEL_TYPE, "an agreement transformer", TinyTransformerConfig, TinyTransformer,
                            fixed={"words": list(WORDS)}, manifest_config=("config", "model"))


def load_file(path: Path) -> TinyTransformer:
    return checkpoints.load_file(path, model_type=MODEL_TYPE)


def load(directory: Path | str | None = None) -> tuple[TinyTransformer, dict]:
    """(model in eval mode, manifest entry), verified against the manifest (core.training.checkpoints.load)."""
    return checkpoints.load(RECIPE, directory=directory, model_type=MODEL_TYPE)
