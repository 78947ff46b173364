"""The learner cookie: SameSite=Strict, sent again until the browser sends it back, and a reload right after
signing up or out keeps what the learner just did (the cookie is written by JavaScript after the run)."""

import binascii
import os

import pytest
import streamlit as st

from core.ui import state
from tests.app.conftest import open_page


def xsrf_cookie(token: bytes) -> str:
    """Streamlit's own per-browser cookie, re-masked on every page load as its server does ("2|mask|masked|ts")."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{binascii.b2a_hex(mask).decode()}|{binascii.b2a_hex(masked).decode()}|1700000000"


class Browser:
    """What one browser sends with each new session: its cookies (AppTest has no browser, so we stand in)."""

    def __init__(self):
        self.xsrf = os.urandom(16)
        self.cookies: dict[str, str] = {}

    def sent(self) -> dict[str, str]:
        return {"_streamlit_xsrf": xsrf_cookie(self.xsrf), **self.cookies}


@pytest.fixture
def browser(monkeypatch):
    b = Browser()
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: b.sent()))
    return b


def cookie_scripts(at) -> list[str]:
    return [h.proto.body for h in at.get("html") if state.COOKIE in h.proto.body]


def sign_up(name: str):
    at = open_page("Home.py")
    at.text_input[0].input(name)
    at.button[0].click().run()
    return at


def names(at) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_the_cookie_is_same_site_strict(db, browser):
    at = sign_up("Ada")
    scripts = cookie_scripts(at)
    assert scripts and all("SameSite=Strict" in s and "Lax" not in s for s in scripts)


def test_the_cookie_is_sent_again_until_the_browser_sends_it_back(db, browser):
    at = sign_up("Ada")
    (token,) = [c.value for c in at.code]
    assert any(token in s for s in cookie_scripts(at))
    at.run()
    assert any(token in s for s in cookie_scripts(at)), "not confirmed yet: sent again"
    browser.cookies[state.COOKIE] = token  # the browser now has it (e.g. after a reconnect or in a new tab)
    at = open_page("Home.py")
    assert "**Ada**" in names(at) and not cookie_scripts(at)


def test_a_reload_right_after_sign_up_keeps_the_new_learner(db, browser):
    at = sign_up("Ada")
    assert "**Ada**" in names(at)
    # The browser reloads before the cookie script ran: a new session with no learner cookie.
    at = open_page("Home.py")
    assert not at.exception
    assert "**Ada**" in names(at), "the brand-new account is kept"


def test_a_reload_right_after_sign_out_does_not_sign_back_in(db, browser, learner):
    _, token = learner
    browser.cookies[state.COOKIE] = token
    at = open_page("Home.py")
    assert "**Ada**" in names(at)
    at.button(key="sign-out").click().run()
    at = open_page("Home.py")  # reloaded before the clearing script ran: the old cookie is still sent
    assert "Display name" in [t.label for t in at.text_input]


def test_another_browser_does_not_get_the_new_learner(db, browser):
    sign_up("Ada")
    browser.xsrf = os.urandom(16)  # a different browser
    at = open_page("Home.py")
    assert "Display name" in [t.label for t in at.text_input]
