"""Text data for the char models: the vocabulary, the corpus registry (a local data folder, or a download checked
against its sha256), the train/validation split, and contiguous batches for truncated backpropagation through time.
"""

from __future__ import annotations

import hashlib
import os
import random
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from core import settings

DATA_ENV = "RNN_COURSE_DATA_DIR"
REPO_ROOT = settings.REPO_ROOT
VAL_FRACTION = 0.1  # train on the first 90% of a corpus, validate on the last 10%


class CorpusError(RuntimeError):
    """A corpus is missing, cannot be downloaded, or does not match its recorded sha256."""


@dataclass(frozen=True)
class Corpus:
    name: str
    filename: str
    bytes: int
    sha256: str
    url: str | None  # None: assembled from many files (see shared/data/README.md), no single download
    source: str


CORPORA: dict[str, Corpus] = {
    c.name: c
    for c in [
        Corpus(
            "tinyshakespeare", "tinyshakespeare.txt", 1_115_394,
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "karpathy/char-rnn data/tinyshakespeare/input.txt",
        ),
        Corpus(
            "names", "names.txt", 228_145,
            "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
            "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt",
            "karpathy/makemore names.txt (ssa.gov, 2018)",
        ),
        Corpus(
            "latex", "latex.txt", 4_284_744,
            "d4aa6dc834dd0ff84178a28c395024028f0a488ea61fbf2229a0ccb37e4b2606",
            None, "stacks/stacks-project: 14 chapters concatenated (GFDL 1.2+)",
        ),
        Corpus(
            "linux_c", "linux_c.txt", 4_992_646,
            "0670f2054c5ea8a4a288ff0848208101744816f8fec648148b043a5a4dca00e5",
            None, "Linux 5.4: 199 .c/.h files from init/, kernel/, ipc/, mm/ concatenated (GPL-2.0)",
        ),
        Corpus(
            "warpeace", "warpeace.txt", 3_196_228,
            "b0fc81c399971eaf738c8be89809e6a0d95c151749112b04f06b6af648d8a39f",
            None, "War and Peace (Maude translation), char-rnn's warpeace_input.txt",
        ),
    ]
}


def data_dir() -> Path:
    """$RNN_COURSE_DATA_DIR, else the repository's sibling shared/data when present, else a user cache."""
    if settings.is_set(DATA_ENV):
        return settings.get(DATA_ENV)
    shared = REPO_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        return shared
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "rnn-course" / "data"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def corpus_path(name: str, download: bool = True) -> Path:
    """The verified local file of a registered corpus, downloading it into the data folder if allowed."""
    if name not in CORPORA:
        raise CorpusError(f"Unknown corpus {name!r}; known: {', '.join(sorted(CORPORA))}.")
    corpus = CORPORA[name]
    path = data_dir() / corpus.filename
    if not path.exists():
        if corpus.url is None:
            raise CorpusError(
                f"{corpus.filename} is not in {path.parent} and has no single download URL "
                f"(it is {corpus.source}). Copy it there or point ${DATA_ENV} at a folder that has it."
            )
        if not download:
            raise CorpusError(f"{corpus.filename} is not in {path.parent} and downloading is off.")
        _download(corpus, path)
    digest = sha256_file(path)
    if digest != corpus.sha256:
        raise CorpusError(
            f"{path} has sha256 {digest}, expected {corpus.sha256}: the file is not the registered {name} corpus."
        )
    return path


def _download(corpus: Corpus, path: Path) -> None:
    assert corpus.url is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(corpus.url, timeout=30) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        raise CorpusError(
            f"Could not download {corpus.name} from {corpus.url} ({e}). If this machine is offline, copy "
            f"{corpus.filename} into {path.parent} or set ${DATA_ENV}."
        ) from e
    digest = hashlib.sha256(payload).hexdigest()
    if digest != corpus.sha256:
        raise CorpusError(f"Downloaded {corpus.url} has sha256 {digest}, expected {corpus.sha256}; not saved.")
    tmp = path.with_suffix(".part")
    tmp.write_bytes(payload)
    tmp.replace(path)


def load_text(name: str) -> str:
    return corpus_path(name).read_text(encoding="utf-8")


class Vocab:
    """Characters <-> ids. Ids follow the sorted order of the characters seen in the training text."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars: list[str] = list(chars)
        if len(set(self.chars)) != len(self.chars) or any(len(c) != 1 for c in self.chars):
            raise ValueError("A vocabulary is a list of distinct single characters.")
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.chars == other.chars

    def __contains__(self, ch: str) -> bool:
        return ch in self.index

    def unknown(self, text: str) -> list[str]:
        """Distinct characters of `text` that this vocabulary cannot encode, in order of appearance."""
        return list(dict.fromkeys(ch for ch in text if ch not in self.index))

    def encode(self, text: str, unknown: str = "error") -> list[int]:
        """unknown: "error" raises ValueError naming the characters; "skip" drops them."""
        if unknown == "skip":
            return [self.index[ch] for ch in text if ch in self.index]
        if unknown != "error":
            raise ValueError(f"unknown must be 'error' or 'skip', got {unknown!r}.")
        missing = self.unknown(text)
        if missing:
            raise ValueError(f"Characters not in the vocabulary: {''.join(missing)!r}.")
        return [self.index[ch] for ch in text]

    def decode(self, ids: Iterable[int] | Tensor) -> str:
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return "".join(self.chars[i] for i in ids)


@dataclass
class TextData:
    """A corpus encoded once: vocabulary, train ids (first 90%) and validation ids (last 10%)."""

    vocab: Vocab
    train: Tensor  # (N_train,) int64
    val: Tensor  # (N_val,) int64
    name: str = "text"
    sha256: str = ""

    @classmethod
    def from_text(
        cls, text: str, name: str = "text", vocab: Vocab | None = None, val_fraction: float = VAL_FRACTION
    ) -> TextData:
        if len(text) < 4:
            raise ValueError("Need at least a few characters of text to train on.")
        vocab = vocab or Vocab.from_text(text)
        train_text, val_text = split_text(text, val_fraction)
        return cls(
            vocab,
            torch.tensor(vocab.encode(train_text), dtype=torch.long),
            torch.tensor(vocab.encode(val_text), dtype=torch.long),
            name,
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )

    @classmethod
    def from_corpus(cls, name: str, shuffle_lines_seed: int | None = None) -> TextData:
        text = load_text(name)
        data = cls.from_text(text if shuffle_lines_seed is None else shuffle_lines(text, shuffle_lines_seed), name)
        data.sha256 = CORPORA[name].sha256  # the file's hash, shuffled or not
        return data


def shuffle_lines(text: str, seed: int) -> str:
    """The same lines in a seeded random order (for lists like names.txt, whose sorted order a model would learn)."""
    lines = text.split("\n")
    random.Random(seed).shuffle(lines)
    return "\n".join(lines)


def split_text(text: str, val_fraction: float = VAL_FRACTION) -> tuple[str, str]:
    """(first 1 - val_fraction, last val_fraction) of the characters."""
    cut = int(len(text) * (1.0 - val_fraction))
    return text[:cut], text[cut:]


class Batches:
    """Contiguous (x, y) batches for truncated BPTT: the text is cut into B parallel streams, and chunk k+1 of
    every stream continues chunk k, so the hidden state can be carried across batches. Each epoch starts at a
    different offset so chunk boundaries move. `get(step)` is a pure function of the step (resumable).
    """

    def __init__(self, ids: Tensor, batch: int, seq_len: int, seed: int = 0) -> None:
        if len(ids) < batch * seq_len + 1 + seq_len:
            batch = max(1, (len(ids) - 1) // (2 * seq_len))
            if len(ids) < seq_len + 2:
                raise ValueError(f"Text of {len(ids)} characters is too short for sequences of {seq_len}.")
        self.ids, self.batch, self.seq_len, self.seed = ids, batch, seq_len, seed
        self.stream_len = (len(ids) - seq_len) // batch  # leave room for any epoch offset < seq_len
        self.chunks_per_epoch = max(1, (self.stream_len - 1) // seq_len)
        self._epoch, self._x, self._y = -1, ids[:0], ids[:0]

    def _load_epoch(self, epoch: int) -> None:
        g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        offset = 0 if epoch == 0 else int(torch.randint(self.seq_len, (1,), generator=g))
        n = self.batch * self.stream_len
        data = self.ids[offset : offset + n + 1]
        self._x = data[:n].view(self.batch, self.stream_len)  # (B, L)
        self._y = data[1 : n + 1].view(self.batch, self.stream_len)  # (B, L)
        self._epoch = epoch

    def get(self, step: int) -> tuple[Tensor, Tensor, bool]:
        """(x (B, T), y (B, T), starts_epoch): when starts_epoch, the carried state should be reset."""
        epoch, chunk = divmod(step, self.chunks_per_epoch)
        if epoch != self._epoch:
            self._load_epoch(epoch)
        t0 = chunk * self.seq_len
        return self._x[:, t0 : t0 + self.seq_len], self._y[:, t0 : t0 + self.seq_len], chunk == 0


def eval_streams(ids: Tensor, batch: int) -> tuple[Tensor, Tensor]:
    """Cut `ids` into `batch` contiguous (x, y) streams covering it (for evaluation with a carried state)."""
    n = len(ids) - 1
    batch = max(1, min(batch, n // 16 or 1))
    length = n // batch
    x = ids[: batch * length].view(batch, length)
    y = ids[1 : batch * length + 1].view(batch, length)
    return x, y
