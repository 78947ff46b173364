"""Per-process resources (store, course map) and per-session learner resolution.

The learner is resolved, in order, from this session, what this browser did last (held until its cookie agrees),
or the `rnn_course_learner` cookie that the browser keeps across reloads and restarts. A `?resume=` link signs in
only a browser with no learner; otherwise it asks first. Secrets and cookies are read defensively.
"""

from __future__ import annotations

import hashlib
import threading
import time

import streamlit as st

from core.cohort import access, store
from core.cohort.store import LearnerRecord, Store, StoreError
from core.course import curriculum
from core.jobs import bound as job_store

COOKIE = "rnn_course_learner"
COOKIE_DAYS = 365
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's own per-browser cookie (set over HTTP on the first page load)
HOLD_SECONDS = 900.0  # how long a sign-in or sign-out is held for a browser whose cookie has not caught up
HOLD_MAX = 10_000
_TOKEN = "_learner_token"
_SIGNED_OUT = "_signed_out"
_PENDING = "_pending_resume"
_RESUMED = "_resumed_from_link"

# browser key -> (token, or None for "signed out"; monotonic expiry). Process-local: with several replicas it
# needs sticky sessions (which Streamlit needs anyway); without it the cookie alone applies, as before.
_holds: dict[str, tuple[str | None, float]] = {}
_holds_lock = threading.Lock()


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
    s = store.open_store(url)
    job_store.bind(s)  # learners' jobs and trained models live in this database, for every page and replica
    return s


def get_store() -> Store:
    """The process-wide store; raises StoreError with a readable reason (never cached while failing)."""
    return _open_store(store.resolve_url(secret("database", "url")))


def get_course() -> curriculum.Course:
    return curriculum.load_course()


def resolve_learner(db: Store, config: access.AccessConfig) -> LearnerRecord | None:
    if config.oidc:  # the identity is Streamlit's own signed, HttpOnly login cookie; ours is not used
        acct = account()
        if acct is None or not config.email_allowed(acct["email"]):
            return None
        return db.learner_for_login(acct["subject"], acct["name"] or "Learner")
    ss = st.session_state
    resume = st.query_params.get("resume")
    if resume:
        del st.query_params["resume"]  # a resume code must not travel on in shared links, nor come back
        _open_resume_link(db, resume)
    token = ss.get(_TOKEN)
    if token is None and not ss.get(_SIGNED_OUT):
        token = _remembered()
    learner = db.find_learner(token) if token else None
    if learner is None:
        ss.pop(_TOKEN, None)
        if ss.get(_SIGNED_OUT) or _held() == (True, None):
            _sync_cookie(None)  # signed out here: clear the cookie (a reload meanwhile is kept out by the hold)
        return None
    ss[_TOKEN] = token
    _sync_cookie(token)
    return learner


def current_token() -> str | None:
    return st.session_state.get(_TOKEN)


def sign_in(token: str) -> None:
    st.session_state[_TOKEN] = token
    st.session_state.pop(_SIGNED_OUT, None)
    st.session_state.pop(_PENDING, None)
    _hold(token)


def sign_out() -> None:
    st.session_state.pop(_TOKEN, None)
    st.session_state.pop(_PENDING, None)
    st.session_state[_SIGNED_OUT] = True
    _hold(None)


# --- ?resume= links: never switch accounts without asking ---------------------------------------------------------


def _open_resume_link(db: Store, resume: str) -> None:
    """Someone's resume link: sign in with it only when this browser has no learner; otherwise keep the current
    learner and ask first (a link can be sent by anyone: switching silently would be a login CSRF)."""
    ss = st.session_state
    target = db.find_learner(resume)
    if target is None:
        ss["_resume_error"] = "That resume link is not known on this server."
        return
    current = ss.get(_TOKEN) or (None if ss.get(_SIGNED_OUT) else _remembered())
    mine = db.find_learner(current) if current else None
    if mine is None:
        sign_in(resume)
        ss[_RESUMED] = True
    elif mine.id != target.id:
        ss[_PENDING] = resume


def pending_resume(db: Store) -> LearnerRecord | None:
    """The account a resume link opened while another learner is signed in here (until they answer), or None."""
    token = st.session_state.get(_PENDING)
    learner = db.find_learner(token) if token else None
    if token and learner is None:
        st.session_state.pop(_PENDING, None)
    return learner


def accept_resume() -> None:
    token = st.session_state.pop(_PENDING, None)
    if token:
        sign_in(token)


def dismiss_resume() -> None:
    st.session_state.pop(_PENDING, None)


def resumed_from_link() -> bool:
    """True once, on the run after a resume link signed a browser with no learner in."""
    return bool(st.session_state.pop(_RESUMED, False))


# --- the learner cookie -------------------------------------------------------------------------------------------
# Streamlit gives app code no HTTP response (scripts talk to the browser over the websocket, and st.context.cookies
# is a read-only copy of the websocket handshake's cookies), so the cookie cannot be HttpOnly: a script written
# into the page sets it after the run. Two things make that safe against a reload that comes first:
#  * the script is sent on every run until the browser sends the cookie back (a new tab, a reconnect or a reload),
#  * what this browser did last (signed in as X, signed out) is held on the server for HOLD_SECONDS, keyed by the
#    browser's `_streamlit_xsrf` cookie, which Streamlit sets over HTTP before the first run and keeps across
#    reloads; a new session of the same browser takes the held state over the cookie until the cookie agrees.


def _cookies() -> dict:
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001 - no request context (e.g. bare script run)
        return {}


def _cookie() -> str | None:
    value = _cookies().get(COOKIE)
    return value if isinstance(value, str) and value else None


def _browser_key() -> str | None:
    """A stable, private key for this browser: the secret inside Streamlit's XSRF cookie. The cookie is re-masked
    on every page load ("2|mask|masked|time"), so unmask it; any other form is used as it is."""
    raw = _cookies().get(XSRF_COOKIE)
    if not isinstance(raw, str) or not raw:
        return None
    value = raw.strip("\"'")
    parts = value.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return None
        if len(mask) != 4:
            return None
        value = bytes(b ^ mask[i % 4] for i, b in enumerate(masked)).hex()
    return hashlib.sha256(f"rnn-course-browser:{value}".encode()).hexdigest()


def _hold(token: str | None) -> None:
    key = _browser_key()
    if key is None:
        return
    now = time.monotonic()
    with _holds_lock:
        for k in [k for k, (_, until) in _holds.items() if until < now]:
            del _holds[k]
        if len(_holds) >= HOLD_MAX:
            _holds.pop(next(iter(_holds)))
        _holds[key] = (token, now + HOLD_SECONDS)


def _held() -> tuple[bool, str | None]:
    """(True, token or None for 'signed out') while this browser has an unconfirmed sign-in or sign-out."""
    key = _browser_key()
    if key is None:
        return False, None
    with _holds_lock:
        entry = _holds.get(key)
    if entry is None or entry[1] < time.monotonic():
        return False, None
    return True, entry[0]


def _release(token: str | None) -> None:
    """The browser sent back the cookie we wanted: forget the hold (if it is still the same)."""
    key = _browser_key()
    if key is None:
        return
    with _holds_lock:
        if key in _holds and _holds[key][0] == token:
            del _holds[key]


def _remembered() -> str | None:
    """The learner this browser remembers: what it last did here (held, until its cookie agrees), else its cookie."""
    held, token = _held()
    return token if held else _cookie()


def _sync_cookie(want: str | None) -> None:
    """Make the browser's cookie hold `want` (None: no cookie). Sent on every run until the browser sends it back."""
    if _cookie() == want:
        _release(want)
        return
    if want is None:
        _set_cookie_js(f"{COOKIE}=; path=/; max-age=0; SameSite=Strict")
    else:
        # The token is server-generated URL-safe base64: nothing a learner typed reaches this script.
        _set_cookie_js(f"{COOKIE}={want}; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Strict")


def _set_cookie_js(cookie: str) -> None:
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    with st.sidebar:
        st.html(f"<script>document.cookie = '{cookie}' + {secure};</script>", unsafe_allow_javascript=True)


__all__ = ["StoreError", "accept_resume", "dismiss_resume", "get_course", "get_store", "pending_resume",
           "resolve_learner", "resumed_from_link", "secret", "sign_in", "sign_out"]
