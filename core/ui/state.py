"""Per-process resources (store, course map) and per-session learner resolution.

The learner is resolved, in order, from a `?resume=` link, this session, or the `rnn_course_learner` cookie
that the browser keeps across reloads and restarts. Secrets and cookies are read defensively.
"""

from __future__ import annotations

import streamlit as st

from core.cohort import access, store
from core.cohort.store import LearnerRecord, Store, StoreError
from core.course import curriculum

COOKIE = "rnn_course_learner"
COOKIE_DAYS = 365
_TOKEN = "_learner_token"
_SIGNED_OUT = "_signed_out"
_COOKIE_SENT = "_cookie_sent"


def secret(section: str, key: str) -> str | None:
    """A value from .streamlit/secrets.toml, or None when there is no secrets file or no such key."""
    try:
        value = st.secrets[section][key]
    except Exception:  # noqa: BLE001 - a malformed secrets file must not take the app down
        return None
    return str(value) if value is not None else None


def _section(name: str) -> dict:
    try:
        value = st.secrets.get(name)
        return dict(value) if value is not None else {}
    except Exception:  # noqa: BLE001 - no or malformed secrets file: behave as unconfigured
        return {}


def access_config() -> access.AccessConfig:
    """Who may learn and who may teach, read from secrets on every run (so a changed secrets file applies)."""
    return access.from_secrets(_section("course"), _section("auth"))


def account() -> dict | None:
    """The signed-in single-sign-on account ({'subject', 'email', 'name'}), or None."""
    try:
        user = st.user
        if not user.get("is_logged_in", False):
            return None
        subject = f"{user.get('iss', '')}|{user.get('sub') or user.get('email')}"
        return {"subject": subject, "email": user.get("email"), "name": user.get("name") or user.get("email")}
    except Exception:  # noqa: BLE001 - auth not configured
        return None


def is_instructor(config: access.AccessConfig) -> bool:
    """Checked on every run: an instructor email from SSO, or the instructor key entered in this session."""
    acct = account()
    if acct and config.is_instructor_email(acct["email"]):
        return True
    return config.key_ok(st.session_state.get("_instructor_key"))


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return store.open_store(url)


def get_store() -> Store:
    """The process-wide store; raises StoreError with a readable reason (never cached while failing)."""
    return _open_store(store.resolve_url(secret("database", "url")))


def get_course() -> curriculum.Course:
    return curriculum.load_course()


def resolve_learner(db: Store, config: access.AccessConfig) -> LearnerRecord | None:
    if config.oidc:
        acct = account()
        if acct is None or not config.email_allowed(acct["email"]):
            return None
        return db.learner_for_login(acct["subject"], acct["name"] or "Learner")
    ss = st.session_state
    resume = st.query_params.get("resume")
    if resume:
        del st.query_params["resume"]  # a resume code must not travel on in shared links
        if db.find_learner(resume):
            ss[_TOKEN] = resume
            ss.pop(_SIGNED_OUT, None)
        else:
            ss["_resume_error"] = "That resume link is not known on this server."
    token = ss.get(_TOKEN)
    if token is None and not ss.get(_SIGNED_OUT):
        token = _cookie()
    if ss.get(_SIGNED_OUT) and _cookie() and not ss.get(_COOKIE_SENT):
        ss[_COOKIE_SENT] = "cleared"
        _set_cookie_js(f"{COOKIE}=; path=/; max-age=0; SameSite=Lax")
    learner = db.find_learner(token) if token else None
    if learner is None:
        ss.pop(_TOKEN, None)
        return None
    ss[_TOKEN] = token
    _remember_in_browser(token)
    return learner


def current_token() -> str | None:
    return st.session_state.get(_TOKEN)


def sign_in(token: str) -> None:
    st.session_state[_TOKEN] = token
    st.session_state.pop(_SIGNED_OUT, None)
    st.session_state.pop(_COOKIE_SENT, None)


def sign_out() -> None:
    st.session_state.pop(_TOKEN, None)
    st.session_state.pop(_COOKIE_SENT, None)
    st.session_state[_SIGNED_OUT] = True


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (e.g. bare script run)
        return None
    return value if isinstance(value, str) else None


def _remember_in_browser(token: str) -> None:
    """Keep the learner's token in a first-party cookie so a reload or a new tab resumes them."""
    if _cookie() == token or st.session_state.get(_COOKIE_SENT) == token:
        return
    st.session_state[_COOKIE_SENT] = token
    # The token is server-generated URL-safe base64: nothing a learner typed reaches this script.
    _set_cookie_js(f"{COOKIE}={token}; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Lax")


def _set_cookie_js(cookie: str) -> None:
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    with st.sidebar:
        st.html(f"<script>document.cookie = '{cookie}' + {secure};</script>", unsafe_allow_javascript=True)


__all__ = ["StoreError", "get_course", "get_store", "resolve_learner", "secret", "sign_in", "sign_out"]
