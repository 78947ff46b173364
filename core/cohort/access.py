"""Who may use the course and who is an instructor, from the `[course]` section of the secrets.

Zero configuration means: anyone on the server may learn, nobody is an instructor. A hosted cohort adds an
allow-list (emails or @domains, checked against the signed-in OIDC account), join codes for sign-up, and
instructors (OIDC emails, or an instructor key for servers without single sign-on).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass


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

    def key_ok(self, key: str | None) -> bool:
        if not self.instructor_key or not key:
            return False
        return hmac.compare_digest(key.strip().encode(), self.instructor_key.encode())


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
