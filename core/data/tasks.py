"""Synthetic tasks that make RNN limits measurable: date normalisation (many human formats -> ISO, with a long
split of several dates buried in distractor text) and a long-range recall task with a controllable cue-target gap.
Everything is generated from a seed, so any test set can be re-drawn fresh and identically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import string
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"


class TokenVocab:
    """Characters <-> ids with special tokens first (id 0 is always <pad>). Unknown characters map to <unk>."""

    def __init__(self, chars: Iterable[str], specials: Iterable[str] = (PAD, UNK)) -> None:
        self.specials = list(specials)
        self.chars = [c for c in dict.fromkeys(chars) if c not in self.specials]
        self.tokens = self.specials + self.chars
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.pad = self.index[PAD]
        self.unk = self.index.get(UNK)
        self.sos = self.index.get(SOS)
        self.eos = self.index.get(EOS)

    def __len__(self) -> int:
        return len(self.tokens)

    def unknown(self, text: str) -> list[str]:
        return list(dict.fromkeys(ch for ch in text if ch not in self.index))

    def encode(self, text: str) -> list[int]:
        if self.unk is None:
            missing = self.unknown(text)
            if missing:
                raise ValueError(f"Characters not in the vocabulary: {''.join(missing)!r}.")
        return [self.index.get(ch, self.unk) for ch in text]

    def decode(self, ids: Iterable[int], stop_at_eos: bool = True) -> str:
        out = []
        for i in ids:
            i = int(i)
            if stop_at_eos and i == self.eos:
                break
            if i >= len(self.specials):
                out.append(self.tokens[i])
        return "".join(out)

    def to_list(self) -> list[str]:
        return list(self.tokens)

    @classmethod
    def from_list(cls, tokens: list[str]) -> TokenVocab:
        specials = [t for t in tokens if len(t) > 1]
        return cls([t for t in tokens if len(t) == 1], specials)


# ---------------------------------------------------------------- dates
SOURCE_CHARS = string.ascii_letters + string.digits + " ,.;:/-#'()!?&"
SRC_VOCAB = TokenVocab(SOURCE_CHARS, (PAD, UNK))
TGT_VOCAB = TokenVocab("0123456789- ", (PAD, SOS, EOS))
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST_DAY, N_DAYS = dt.date(1950, 1, 1), (dt.date(2049, 12, 31) - dt.date(1950, 1, 1)).days + 1
MAX_DATES = 5
MAX_SOURCE_LEN = 400  # generated memos stay under ~340 characters; longer learner input is cut here
MAX_TARGET_LEN = MAX_DATES * 11  # "YYYY-MM-DD" + a space per date (the last one has <eos> instead)


def ordinal(d: int) -> str:
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


def _fields(d: dt.date) -> dict[str, str]:
    month, weekday = MONTHS[d.month - 1], WEEKDAYS[d.weekday()]
    return {"Month": month, "Mon": month[:3], "Weekday": weekday, "Wkd": weekday[:3], "d": str(d.day),
            "dd": f"{d.day:02d}", "dth": ordinal(d.day), "m": str(d.month), "mm": f"{d.month:02d}",
            "Y": str(d.year), "yy": f"{d.year % 100:02d}"}


# Two-digit years mean 1950-2049 (the whole range); slashes are always US month/day, dots European day.month.
FORMATS = [
    "{Month} {d}, {Y}", "{Mon} {d}, {Y}", "{d} {Month} {Y}", "{d} {Mon} {Y}", "{m}/{d}/{yy}", "{m}/{d}/{Y}",
    "{mm}/{dd}/{Y}", "{dd}.{mm}.{Y}", "{Y}/{mm}/{dd}", "{Weekday}, the {dth} of {Month} {Y}",
    "{Wkd}, {Mon} {d} {Y}", "{Month} {dth}, {Y}", "the {dth} of {Month}, {Y}", "{dd}-{Mon}-{Y}", "{Y}{mm}{dd}",
    "{Weekday} {Month} {d}, {Y}", "{Y}-{m}-{d}", "{Mon}. {d}, {Y}", "{d}.{m}.{yy}", "{Month} {d} {Y}",
]


def render(d: dt.date, fmt: str, case: str = "as is") -> str:
    text = fmt.format(**_fields(d))
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


def is_test_date(d: dt.date) -> bool:
    """One date in ten is held out: training never sees it in any format, tests only use these."""
    return hashlib.md5(d.isoformat().encode()).digest()[0] % 10 == 0


def random_date(rng: random.Random, split: str) -> dt.date:
    want_test = split == "test"
    while True:
        d = FIRST_DAY + dt.timedelta(days=rng.randrange(N_DAYS))
        if is_test_date(d) == want_test:
            return d


CASES, CASE_WEIGHTS = ["as is", "lower", "upper"], [0.8, 0.12, 0.08]


def random_date_text(rng: random.Random, d: dt.date) -> str:
    case = rng.choices(CASES, CASE_WEIGHTS)[0]
    return render(d, rng.choice(FORMATS), case)


_SUBJECTS = ["the committee", "our client", "the supplier", "Dr. Alvarez", "the board", "the tenant", "a courier",
             "the auditor", "Ms. Okafor", "the vendor", "the team in Lyon", "the landlord", "the registrar"]
_VERBS = ["reviewed the file", "sent a reminder", "asked for changes", "approved the budget", "raised a concern",
          "filed the paperwork", "called twice", "signed the lease", "updated the draft", "replied by email",
          "paid in full", "requested a copy", "closed the ticket", "moved the meeting"]
_FILLER = ["Please keep this note for your records.", "Nothing else changed.", "See the attached summary.",
           "The usual terms apply.", "Questions go to the front desk.", "All figures are final.",
           "This replaces the earlier message.", "No action is needed from you.", "Thanks again for waiting."]
_DATE_FRAMES = ["on {}", "by {}", "dated {}", "as of {}", "since {}", "before {}", "effective {}", "due {}"]


def _number_noise(rng: random.Random) -> str:
    return rng.choice([f"invoice #{rng.randint(100, 9999)}", f"room {rng.randint(1, 40)}",
                       f"{rng.randint(2, 12)} boxes", f"order {rng.randint(1000, 99999)}", f"page {rng.randint(1, 300)}"])


def _date_sentence(rng: random.Random, date_text: str) -> str:
    s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_DATE_FRAMES).format(date_text)}"
    if rng.random() < 0.35:
        s += f" ({_number_noise(rng)})"
    return s[0].upper() + s[1:] + "."


def _filler_sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(_FILLER)
    s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)}"
    if rng.random() < 0.4:
        s += f", see {_number_noise(rng)}"
    return s[0].upper() + s[1:] + "."


@dataclass(frozen=True)
class DatePair:
    source: str
    target: str
    n_dates: int
    fmt: str = ""  # the format of a single-date example
    spans: tuple[tuple[int, int], ...] = ()  # where each date's text sits in source, in target order


def short_example(rng: random.Random, split: str = "train") -> DatePair:
    """One date alone, in one of the formats: the "all formats" task."""
    d = random_date(rng, split)
    case = rng.choices(CASES, CASE_WEIGHTS)[0]
    fmt = rng.choice(FORMATS)
    text = render(d, fmt, case)
    return DatePair(text, d.isoformat(), 1, fmt, ((0, len(text)),))


def long_example(rng: random.Random, target_len: int, split: str = "train") -> DatePair:
    """A memo of about `target_len` characters with 1-5 dates in distractor sentences (more text, more dates);
    the target lists every date in order of appearance, ISO, separated by spaces."""
    n_dates = max(1, min(MAX_DATES, target_len // 50 + rng.randint(0, 1)))
    dates = [random_date(rng, split) for _ in range(n_dates)]
    date_texts = [random_date_text(rng, d) for d in dates]
    parts = [(_date_sentence(rng, t), t) for t in date_texts]  # (sentence, its date text or "")
    while sum(len(s) + 1 for s, _ in parts) < target_len:
        parts.insert(rng.randint(0, len(parts)), (_filler_sentence(rng), ""))
    # Drop filler (never a date sentence) while over budget, so lengths follow target_len closely.
    while sum(len(s) + 1 for s, _ in parts) > target_len + 20 and any(not t for _, t in parts):
        parts.pop(rng.choice([i for i, (_, t) in enumerate(parts) if not t]))
    text, spans = "", []
    for sentence, date_text in parts:
        text += (" " if text else "") + sentence
        if date_text:
            start = len(text) - len(sentence) + sentence.index(date_text)
            spans.append((start, start + len(date_text)))
    return DatePair(text, " ".join(d.isoformat() for d in dates), n_dates, "", tuple(spans))


LONG_LEN = (30, 250)
LONG_SPLIT_MIN = 100  # "the long split": memos of 100-270 characters with 2-5 dates


def date_dataset(n: int, seed: int, split: str = "test", kind: str = "short",
                 length: tuple[int, int] = LONG_LEN) -> list[DatePair]:
    """n fresh examples. kind: "short" (one date, all formats) or "long" (memos, lengths drawn from `length`)."""
    rng = random.Random(f"dates-{kind}-{split}-{seed}")
    if kind == "short":
        return [short_example(rng, split) for _ in range(n)]
    if kind == "long":
        return [long_example(rng, rng.randint(*length), split) for _ in range(n)]
    raise ValueError(f"kind must be 'short' or 'long', got {kind!r}.")


def encode_pairs(pairs: list[DatePair]) -> tuple[Tensor, Tensor, Tensor]:
    """(src (B, S) padded, src_len (B,), tgt (B, T+1) = target + <eos>, padded)."""
    src = [SRC_VOCAB.encode(p.source[:MAX_SOURCE_LEN]) or [SRC_VOCAB.unk] for p in pairs]
    tgt = [TGT_VOCAB.encode(p.target) + [TGT_VOCAB.eos] for p in pairs]
    S, T = max(map(len, src)), max(map(len, tgt))
    src_t = torch.full((len(pairs), S), SRC_VOCAB.pad, dtype=torch.long)
    tgt_t = torch.full((len(pairs), T), TGT_VOCAB.pad, dtype=torch.long)
    for i, (s, t) in enumerate(zip(src, tgt, strict=True)):
        src_t[i, : len(s)] = torch.tensor(s)
        tgt_t[i, : len(t)] = torch.tensor(t)
    return src_t, torch.tensor([len(s) for s in src]), tgt_t


def training_batch(step: int, batch: int, long_batch: int, seed: int, long_fraction: float = 0.5) -> list[DatePair]:
    """Batch `step` of the training stream (a pure function of step and seed, so runs resume exactly). Each batch
    is all-short (`batch` dates) or all-long (`long_batch` memos of similar length), so padding stays small."""
    rng = random.Random(f"dates-train-{seed}-{step}")
    if rng.random() < long_fraction:
        lo = rng.randint(*LONG_LEN)
        hi = min(LONG_LEN[1], lo + 30)
        return [long_example(rng, rng.randint(lo, hi), "train") for _ in range(long_batch)]
    return [short_example(rng, "train") for _ in range(batch)]


LENGTH_BUCKETS = [(0, 20), (20, 40), (40, 80), (80, 120), (120, 160), (160, 200), (200, 250), (250, 330)]


def bucket_of(n: int) -> str:
    for lo, hi in LENGTH_BUCKETS:
        if lo <= n < hi:
            return f"{lo}-{hi}"
    return f"{LENGTH_BUCKETS[-1][1]}+"


def check_learner_text(text: object, limit: int = MAX_SOURCE_LEN) -> tuple[str, list[str]]:
    """(text the model will read, notes for the learner). Never raises: unknown characters become <unk>."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    notes: list[str] = []
    text = text.replace("\n", " ").replace("\t", " ")
    if not text.strip():
        return "", ["Type a date (for example 'March 14, 2024') or a sentence that contains dates."]
    if len(text) > limit:
        notes.append(f"Only the first {limit} characters are read (you typed {len(text)}); the models were "
                     f"trained on inputs up to about {LONG_LEN[1] + 20}.")
        text = text[:limit]
    unknown = SRC_VOCAB.unknown(text)
    if unknown:
        shown = "".join(unknown[:12])
        notes.append(f"{len(unknown)} character(s) the model never saw ({shown!r}) are read as the unknown token.")
    if text.strip().isdigit() and len(text.strip()) != 8:
        notes.append("Digits alone are ambiguous; the model was trained on 8-digit YYYYMMDD for this case.")
    return text, notes


# ---------------------------------------------------------------- long-range recall
CUES = "ABCD"  # the "subject" the model must carry across the gap; chance is 1 / len(CUES)
DISTRACTORS = "abcdefghijklmnopqrstuvwxyz"
RECALL_VOCAB = TokenVocab(CUES + DISTRACTORS + "?", (PAD, UNK))
ATTRACTORS = 0.1  # share of distractor positions that hold another cue letter


def recall_batch(batch: int, distance: int, generator: torch.Generator,
                 attractors: float = ATTRACTORS) -> tuple[Tensor, Tensor]:
    """(x (B, distance + 2), y (B,)): a cue, `distance` distractors, then '?'; y is the class of the FIRST cue.
    Like subject-verb agreement across a clause with attractor nouns: each distractor is another cue letter
    with probability `attractors` (which a model must not let overwrite what it holds), else a letter a-z."""
    if distance < 0:
        raise ValueError(f"distance must be >= 0, got {distance}.")
    y = torch.randint(len(CUES), (batch,), generator=generator)  # (B,)
    cue_ids = torch.tensor([RECALL_VOCAB.index[c] for c in CUES])
    noise_ids = torch.tensor([RECALL_VOCAB.index[c] for c in DISTRACTORS])
    noise = noise_ids[torch.randint(len(DISTRACTORS), (batch, distance), generator=generator)]  # (B, d)
    is_attractor = torch.rand(batch, distance, generator=generator) < attractors
    attractor = cue_ids[torch.randint(len(CUES), (batch, distance), generator=generator)]
    noise = torch.where(is_attractor, attractor, noise)
    query = torch.full((batch, 1), RECALL_VOCAB.index["?"])
    return torch.cat([cue_ids[y][:, None], noise, query], dim=1), y


def recall_text(x: Tensor) -> str:
    return RECALL_VOCAB.decode(x.tolist())

