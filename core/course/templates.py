"""Starter templates for the PyTorch and Hugging Face tracks: the files under assets/templates/<track>/, zipped
for download. (The NumPy track's templates are built from the code labs: core.labs.exercises.templates_zip.)
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from core import settings

ROOT = settings.ASSETS / "templates"


@dataclass(frozen=True)
class Track:
    id: str
    title: str
    script: str  # the runnable file, relative to the track folder
    summary: str


TRACKS: dict[str, Track] = {t.id: t for t in (
    Track("pytorch", "PyTorch track: char-level LSTM language model", "char_lstm.py",
          "One runnable file: text loading and a train/validation split, an LSTM model, truncated-BPTT training "
          "with gradient clipping, Adam with warm-up and cosine decay, validation in nats/char, bits/char and "
          "perplexity, checkpointing, and sampling with temperature. Needs only PyTorch."),
    Track("huggingface", "Hugging Face track: fine-tune GPT-2", "finetune_gpt2.py",
          "A fine-tuning script for a small pretrained causal language model (GPT-2 by default) with a plain "
          "PyTorch loop: AdamW, warm-up and decay, clipping, validation loss per token and per character, "
          "saving and sampling. Needs `pip install transformers` and downloads the weights (about 500 MB) on "
          "first run; this server has neither, so it cannot run here."),
)}


def files(track: str) -> dict[str, str]:
    """The track's template files, {relative path: text}, in a stable order."""
    if track not in TRACKS:
        raise KeyError(f"unknown template track {track!r}; known: {', '.join(TRACKS)}")
    folder = ROOT / track
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def templates_zip(track: str) -> bytes:
    """The track's files in a zip, under one top-level folder named after the track."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files(track).items():
            info = zipfile.ZipInfo(f"rnn-course-{track}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, text)
    return buf.getvalue()
