"""Checking a learner's uploaded text file before training on it: every way it can be unusable gets a message
that says what was wrong and what to do instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MB = 5  # the one upload limit: labels, the widget's own limit and the check below all use it (.streamlit/
MAX_BYTES = MAX_MB * 2**20  # config.toml server.maxUploadSize is the same number, a test keeps them equal)
MIN_CHARS = 1_000  # below this a train/validation split leaves almost nothing to validate on
MIN_DISTINCT = 2
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # control characters other than \t \n \v \f \r


class UploadError(ValueError):
    """The upload cannot be used; str(error) is the message to show."""


@dataclass(frozen=True)
class UploadedText:
    name: str  # a display-safe version of the file name
    text: str
    n_bytes: int
    n_chars: int
    n_distinct: int
    notes: tuple[str, ...] = ()  # things we changed, e.g. a removed byte-order mark


def safe_name(name: str | None) -> str:
    """The file's base name without path parts or control characters, at most 80 characters."""
    base = (name or "upload.txt").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "`*_[]<>|")
    return base[:80] or "upload.txt"


def read_upload(data: bytes | None, name: str | None = None, max_bytes: int = MAX_BYTES,
                min_chars: int = MIN_CHARS) -> UploadedText:
    """Decode and check an uploaded text file; UploadError with a clear message if it cannot be trained on."""
    shown = safe_name(name)
    if data is None or len(data) == 0:
        raise UploadError(f"{shown} is empty. Upload a plain-text file with at least {min_chars:,} characters "
                          "(a few pages of prose, code or lists).")
    if len(data) > max_bytes:
        raise UploadError(f"{shown} is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB. Upload "
                          "a shorter excerpt: a few hundred kilobytes are plenty for a small model.")
    if b"\x00" in data[:1_000_000]:
        raise UploadError(f"{shown} looks like a binary file (it contains NUL bytes), not text. Save it as plain "
                          "text (.txt, UTF-8) first; PDFs, Word files, images and archives do not work.")
    notes = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        notes.append("Removed the UTF-8 byte-order mark at the start.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UploadError(f"{shown} is not valid UTF-8 text (first bad byte at position {e.start:,}). Re-save it "
                          "as UTF-8 in your editor (\"Save with encoding\" / \"Encoding: UTF-8\") and upload it "
                          "again.") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        notes.append("Converted Windows/Mac line endings to \\n.")
    control = len(_CONTROL.findall(text))
    if control > 0.01 * len(text):
        raise UploadError(f"{shown} is mostly control characters ({control:,} of {len(text):,}), so it is "
                          "probably not text. Upload a plain-text file.")
    distinct = len(set(text))
    if distinct < MIN_DISTINCT:
        only = repr(text[0]) if text else "nothing"
        raise UploadError(f"{shown} contains only one distinct character ({only}); there is nothing to learn. "
                          "Upload real text with varied characters.")
    if len(text) < min_chars:
        raise UploadError(f"{shown} has only {len(text):,} characters; at least {min_chars:,} are needed to hold "
                          "back 10% for validation and still train. Add more text, or pick a built-in corpus.")
    return UploadedText(shown, text, len(data), len(text), distinct, tuple(notes))
