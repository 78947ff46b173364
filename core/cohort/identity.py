"""Learner identity: resume tokens, learner uids and the cleaning of what a learner types about themselves.

A learner is known by a random resume token (kept in a browser cookie and shown once as a resume link);
the store keeps only its SHA-256, so a leaked database does not hand out sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import uuid

NAME_MAX = 40
COHORT_MAX = 24
TOKEN_BYTES = 18  # 24 URL-safe characters, 144 bits

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_uid() -> str:
    """A learner's stable public key for per-learner files, jobs and caches: 32 random hex digits (uuid4)."""
    return uuid.uuid4().hex


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def looks_like_token(value: str | None) -> bool:
    """Cheap shape check before any database lookup (cookies and URLs are attacker-controlled)."""
    return isinstance(value, str) and bool(_TOKEN_RE.match(value))


def clean_display_name(raw: str | None) -> str:
    """Trim, drop control characters, collapse whitespace and bound the length. Raises ValueError if empty."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())[:NAME_MAX].strip()
    if not text:
        raise ValueError("Please enter a display name (letters, numbers or anything printable).")
    return text


def clean_cohort_code(raw: str | None) -> str | None:
    """Cohort codes are case-insensitive letters, digits and dashes; empty means 'no cohort'."""
    text = (raw or "").strip().upper()
    if not text:
        return None
    if len(text) > COHORT_MAX or not re.fullmatch(r"[A-Z0-9-]+", text):
        raise ValueError(
            f"A cohort code has at most {COHORT_MAX} letters, digits or dashes (e.g. SPRING-2026)."
        )
    return text


def escape_markdown(text: str) -> str:
    """Show learner-typed text literally inside Markdown (no links, emphasis or HTML)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
