"""Browser tabs for the replica tests, speaking Streamlit's websocket protocol through HAProxy (tests/load/protocol.py):
a tab is pinned to one replica by HAProxy's sticky cookie, signs in with the app's form or carries the learner
cookie a browser would keep, and reads what the page shows (text, the training progress bar, the loss chart)."""

from __future__ import annotations

import re
import time
import urllib.parse
from http.cookiejar import Cookie

from tests.deploy.cluster import COOKIE
from tests.load.protocol import ProtocolError, StreamlitSession

LEARNER_COOKIE = "rnn_course_learner"  # core/ui/state.py
PAGE = "m09_implementation"  # Module 9's live training dashboard lab (core/ui/own_model.py, key "m09-live")
KEY = "m09-live"


def _jar_cookie(name: str, value: str, host: str) -> Cookie:
    return Cookie(0, name, value, None, False, host, False, False, "/", True, False, None, False, None, None, {})


class Tab:
    """One browser tab on one replica (through the proxy)."""

    def __init__(self, proxy_url: str, replica: str, token: str | None = None, timeout: float = 180.0):
        self.replica = replica
        self.s = StreamlitSession(proxy_url, timeout=timeout)
        host = urllib.parse.urlsplit(proxy_url).hostname
        self.s.jar.set_cookie(_jar_cookie(COOKIE, replica, host))
        if token:
            self.s.extra_cookies[LEARNER_COOKIE] = token

    async def open(self, page: str = PAGE) -> None:
        if self.s._ws is None:
            await self.s.connect()
        r = await self.s.open_page(page)
        if r.exceptions:
            raise ProtocolError(f"{page} on {self.replica} raised: {r.exceptions}")

    def served_by(self) -> str:
        return next(c.value for c in self.s.jar if c.name == COOKIE)

    async def close(self) -> None:
        await self.s.close()

    # ---- signing in ------------------------------------------------------------------------------------------

    async def sign_up(self, name: str) -> str:
        """The sign-in form on Home; returns the learner token the page asks the browser to keep as its cookie."""
        await self.open("")
        field = self.s.widget("text_input", label="Display name")
        await self.s.click(self.s.widget("button", label="Start learning"), {field.id: {"string_value": name}})
        for kind, proto, _, _ in self.s.elements.values():
            if kind == "html":
                m = re.search(LEARNER_COOKIE + r"=([A-Za-z0-9_\-]+);", proto.body)
                if m:
                    self.s.extra_cookies[LEARNER_COOKIE] = m.group(1)
                    return m.group(1)
        raise ProtocolError(f"no learner cookie after signing up on {self.replica}: {self.texts()[:5]}")

    # ---- what the page shows ---------------------------------------------------------------------------------

    def texts(self) -> list[str]:
        return self.s.texts()

    def says(self, fragment: str) -> bool:
        return any(fragment in t for t in self.texts())

    def element(self, kind: str):
        return next((proto for k, proto, _, _ in self.s.elements.values() if k == kind), None)

    def progress_text(self) -> str:
        """The training dashboard's progress bar ("step N of M · ..."; the page has other progress bars)."""
        return next((p.text for k, p, _, _ in self.s.elements.values() if k == "progress" and " of " in p.text
                     and p.text.startswith("step ")), "")

    def step(self) -> int:
        m = re.search(r"step ([\d,]+) of", self.progress_text())
        return int(m.group(1).replace(",", "")) if m else -1

    def has_loss_chart(self) -> bool:
        return any(k == "vega_lite_chart" and "Loss per character" in (p.spec or "")
                   for k, p, _, _ in self.s.elements.values())

    def signed_out(self) -> bool:
        return self.s.has("text_input", label="Display name")

    # ---- the training lab ------------------------------------------------------------------------------------

    def start_button(self):
        return self.s.widget("button", key=f"{KEY}-start") if self.s.has("button", key=f"{KEY}-start") else None

    async def set_slider(self, key: str, value: float) -> None:
        await self.s.set_value(self.s.widget("slider", key=f"{KEY}-{key}"), double_array_value=[value])

    async def start_training(self) -> None:
        button = self.start_button()
        if button is None:
            raise ProtocolError(f"no Start training button on {self.replica}: {self.texts()[-8:]}")
        await self.s.click(button)

    async def stop_training(self) -> None:
        await self.s.click(self.s.widget("button", key=f"{KEY}-dash-stop"))

    async def wait_page(self, cond, timeout: float, what: str, interval: float = 1.5) -> None:
        """Reopen the page until `cond(self)` holds (a learner reloading it)."""
        end = time.monotonic() + timeout
        while True:
            await self.open()
            if cond(self):
                return
            if time.monotonic() > end:
                raise TimeoutError(f"{self.replica}: timed out waiting for {what}; page shows "
                                   f"{self.progress_text()!r} {self.texts()[-6:]}")
            await _sleep(interval)


async def _sleep(s: float) -> None:
    import asyncio

    await asyncio.sleep(s)
