"""Who may use the course and who is an instructor, from the `[course]` section of the secrets.

Zero configuration means: anyone on the server may learn, nobody is an instructor. A hosted cohort adds an
allow-list (emails or @domains, checked against the signed-in OIDC account), join codes for sign-up, and
instructors (OIDC emails, or an instructor key for servers without single sign-on). Wrong instructor keys are
throttled per session and per process (`check_instructor_key`) and logged to "rnn_course.access".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger("rnn_course.access")


def _lower_set(values: object) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    return frozenset(str(v).strip().lower() for v in (values or ()) if str(v).strip())


@dataclass(frozen=True)
class AccessConfig:
    instructors: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()  # emails or "@domain"; empty = anyone who can sign in
    join_codes: frozenset[str] = frozenset()  # upper-case cohort codes; empty = any (or none)
    instructor_key: str | None = None
    oidc: bool = False  # Streamlit's st.login is configured ([auth] in secrets)

    def email_allowed(self, email: str | None) -> bool:
        if not self.allowed:
            return True
        email = (email or "").strip().lower()
        if not email or "@" not in email:
            return False
        return email in self.allowed or "@" + email.rsplit("@", 1)[1] in self.allowed

    def is_instructor_email(self, email: str | None) -> bool:
        return bool(email) and email.strip().lower() in self.instructors

    def join_code_ok(self, code: str | None) -> bool:
        """With join codes configured, sign-up needs one of them; otherwise any code (or none) is fine."""
        return not self.join_codes or (code or "").strip().upper() in self.join_codes

    def may_join(self, code: str | None) -> bool:
        """A cohort change after sign-up: leaving (no code) is always fine; joining needs a join code when the
        course has them. The answer never depends on who else uses a code, so it reveals nothing about them."""
        return not (code or "").strip() or self.join_code_ok(code)

    def belongs_to(self, code: str | None) -> bool:
        """Whether a learner's stored code is a cohort the course accepts (one saved before a check, or before
        the join codes changed, is not: show nothing about it)."""
        return bool(code) and self.join_code_ok(code)

    def key_ok(self, key: str | None) -> bool:
        """Compares SHA-256 digests in constant time: neither the length nor a prefix of the key leaks."""
        if not self.instructor_key or not key:
            return False
        return hmac.compare_digest(hashlib.sha256(key.strip().encode()).digest(),
                                   hashlib.sha256(self.instructor_key.encode()).digest())


class Throttle:
    """Failed attempts make the next one wait: `free` failures cost nothing, then each one doubles the wait from
    `base` seconds up to `cap`; after `forget` seconds without a failure the count starts over. Thread-safe."""

    def __init__(self, free: int = 5, base: float = 2.0, cap: float = 900.0, forget: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.cap, self.forget, self.clock = free, base, cap, forget, clock
        self.failures = 0
        self._last = self._until = float("-inf")
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        if now - self._last > self.forget:
            self.failures, self._until = 0, float("-inf")

    def wait(self) -> float:
        """Seconds until the next attempt may be checked (0.0: now)."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            return max(0.0, self._until - now)

    def fail(self) -> float:
        """Count a failure; returns the wait it imposes."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            self.failures += 1
            self._last = now
            if self.failures < self.free:
                return 0.0
            delay = min(self.cap, self.base * 2 ** (self.failures - self.free))
            self._until = now + delay
            return delay

    def reset(self) -> None:
        with self._lock:
            self.failures, self._last, self._until = 0, float("-inf"), float("-inf")


def session_key_attempts() -> Throttle:
    """One per browser session: 5 wrong keys, then 2 s, 4 s, ... up to 15 minutes."""
    return Throttle(free=5, base=2.0, cap=900.0, forget=3600.0)


# Every session of this process together (a new tab is a new session): 20 wrong keys, then 1 s, 2 s, ... up to a
# minute. The cap is short because this lock also holds back the real instructor (single sign-on does not need it).
KEY_ATTEMPTS = Throttle(free=20, base=1.0, cap=60.0, forget=900.0)


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    wait: float = 0.0  # seconds before the next attempt is looked at (0.0: now)
    locked: bool = False  # refused without looking at the key (still waiting after earlier failures)


def check_instructor_key(config: AccessConfig, key: str | None, session: Throttle,
                         process: Throttle | None = None, client: str = "?") -> KeyCheck:
    """Check a typed instructor key unless this session or this process must wait; failures are counted and
    logged (never the typed key). During a wait even the right key is refused, so guessing gains nothing."""
    process = process or KEY_ATTEMPTS
    wait = max(session.wait(), process.wait())
    if wait > 0:
        log.warning("instructor key attempt refused: locked for %.0f s more (client %s)", wait, client)
        return KeyCheck(False, wait, locked=True)
    if config.key_ok(key):
        session.reset()
        log.info("instructor key accepted (client %s)", client)
        return KeyCheck(True)
    wait = max(session.fail(), process.fail())
    log.warning("wrong instructor key: %d in this session, %d on this server; next attempt in %.0f s (client %s)",
                session.failures, process.failures, wait, client)
    return KeyCheck(False, wait)


def from_secrets(course: Mapping | None, auth: Mapping | None) -> AccessConfig:
    course = course or {}
    key = str(course.get("instructor_key") or "").strip()
    return AccessConfig(
        instructors=_lower_set(course.get("instructors")),
        allowed=_lower_set(course.get("allowed")),
        join_codes=frozenset(c.upper() for c in _lower_set(course.get("join_codes"))),
        instructor_key=key or None,
        oidc=bool(auth and (auth.get("client_id") or any(isinstance(v, Mapping) for v in auth.values()))),
    )
