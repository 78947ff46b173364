"""Capstone data sets: checked uploads, statistics (size, vocabulary, character frequencies, the unigram
baseline), contiguous train/validation/test splits and snippets."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from core.data.corpora import CORPORA, CorpusError, corpus_path
from core.jobs import uploads

UPLOAD_MAX_BYTES = uploads.MAX_BYTES  # the one upload limit (server.maxUploadSize is the same)
MIN_TEXT_CHARS = 1_000


def read_upload(name: str, payload: bytes) -> str:
    """The text of an uploaded file, or ValueError with a reason a learner can act on."""
    if not payload:
        raise ValueError(f"{name} is empty.")
    if len(payload) > UPLOAD_MAX_BYTES:
        raise ValueError(f"{name} is {len(payload) / 2**20:.1f} MB; the limit is {uploads.MAX_MB} MB.")
    if b"\x00" in payload[:65536]:
        raise ValueError(f"{name} looks like a binary file (it contains NUL bytes). Upload plain text.")
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name} is not UTF-8 text (byte {exc.start} cannot be decoded). Save it as UTF-8.") from exc
    text = text.replace("\r\n", "\n")
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError(f"{name} has {len(text)} characters; a model needs at least {MIN_TEXT_CHARS:,}.")
    return text


def available_corpora() -> list[str]:
    """Built-in corpora present (and verified) on this server."""
    out = []
    for name in CORPORA:
        try:
            corpus_path(name, download=False)
        except CorpusError:
            continue
        out.append(name)
    return out


@dataclass(frozen=True)
class DatasetStats:
    chars: int
    bytes: int
    lines: int
    words: int
    vocab: int
    top: list[tuple[str, int]]  # (character, count), most frequent first
    unigram_bits: float  # entropy of the character distribution, bits/char
    unigram_perplexity: float


def dataset_stats(text: str, top: int = 40) -> DatasetStats:
    counts = Counter(text)
    n = len(text)
    entropy = -sum(c / n * math.log(c / n) for c in counts.values()) if n else 0.0  # nats
    return DatasetStats(n, len(text.encode("utf-8")), text.count("\n") + (1 if text and not text.endswith("\n") else 0),
                        len(text.split()), len(counts), counts.most_common(top), entropy / math.log(2),
                        math.exp(entropy))


def unigram_perplexity(text: str) -> float:
    """exp(entropy) of the text's own character frequencies: the best any model without context could score."""
    return dataset_stats(text, top=0).unigram_perplexity


@dataclass(frozen=True)
class Split:
    train: str
    val: str
    test: str


def three_way_split(text: str, val_fraction: float = 0.1, test_fraction: float = 0.1) -> Split:
    """Contiguous train / validation / test parts, in that order (no shuffling: neighbouring characters would
    otherwise leak across the split)."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError("The validation and test shares must be between 0 and 1 and leave room for training.")
    n = len(text)
    test_cut = n - int(n * test_fraction)
    val_cut = test_cut - int(n * val_fraction)
    return Split(text[:val_cut], text[val_cut:test_cut], text[test_cut:])


def snippets(text: str, n: int = 3, length: int = 240, seed: int = 0) -> list[str]:
    """`n` passages from random places, each starting at a line break where there is one nearby."""
    if len(text) <= length:
        return [text]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        start = rng.randrange(0, len(text) - length)
        nl = text.find("\n", start, start + length // 2)
        start = nl + 1 if nl >= 0 else start
        out.append(text[start : start + length])
    return out
