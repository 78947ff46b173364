"""A headless Streamlit client: the messages a browser tab sends over /_stcore/stream, and just enough of the page
it is sent back (elements by delta path, widgets by id, forms, fragments) to move a widget the way the frontend does.

The browser's order, which this copies: GET the page over HTTP (a sticky proxy sets its cookie there), then
`/_stcore/health` (Streamlit sets its `_streamlit_xsrf` cookie) and `/_stcore/host-config`; open the websocket with
those cookies and the subprotocols `streamlit, <xsrf token>[, <session id> when reconnecting]`; send a BackMsg `rerun_script` (ClientState: query string, page script hash, widget states, context), then read
ForwardMsgs (new_session, deltas, ...) until `script_finished`. A widget change is another `rerun_script` with every
active widget's value (a button adds a one-shot trigger; a widget inside an `st.fragment` sends its fragment id,
so only the fragment reruns); a form's widgets travel only with its submit button.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: TID251 - the wire format, not the UI
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: TID251
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: TID251

FINISHED = ForwardMsg.ScriptFinishedStatus
DONE = {FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
        FINISHED.FINISHED_WITH_COMPILE_ERROR}
WIDGETS = {"button", "slider", "selectbox", "radio", "text_input", "text_area", "checkbox", "number_input",
           "button_group", "component_instance", "multiselect", "download_button"}


class ProtocolError(RuntimeError):
    """A page did not show what the learner needs (no such widget, no expected text)."""


class StreamClosed(ProtocolError):
    """The server closed the websocket: this tab is gone."""


@dataclass
class Widget:
    kind: str  # the Element oneof: "slider", "button", "component_instance", ...
    proto: object
    fragment_id: str
    path: tuple[int, ...]

    @property
    def id(self) -> str:
        return self.proto.id

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "") or ""

    @property
    def form_id(self) -> str:
        return getattr(self.proto, "form_id", "") or ""


@dataclass
class RunResult:
    seconds: float
    status: int
    runs: int  # script runs it took (an st.rerun inside the script makes 2)
    bytes: int
    exceptions: list[str] = field(default_factory=list)


def fetch_cookies(base_url: str, jar: http.cookiejar.CookieJar, timeout: float = 30.0) -> None:
    """What a browser fetches before it opens the websocket (static assets aside): the page (a sticky proxy sets
    its cookie here), then the frontend's health and host-config checks (Streamlit sets `_streamlit_xsrf` there)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for path in ("/", "/_stcore/health", "/_stcore/host-config"):
        with opener.open(base_url.rstrip("/") + path, timeout=timeout) as r:
            r.read()


class StreamlitSession:
    """One browser tab: one websocket, one Streamlit session, the page it currently shows."""

    def __init__(self, base_url: str, *, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.extra_cookies: dict[str, str] = {}
        self.pages: dict[str, str] = {}  # url path ("" = Home) -> page script hash, from the sidebar's links
        self.page_hash = ""
        self.url_path = ""
        self.query_string = ""
        self.elements: dict[tuple[int, ...], tuple[str, object, str, int]] = {}  # path -> kind, proto, fragment, run
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this "browser" holds for it
        self.bytes_in = 0
        self.session_id = ""
        self._ws = None
        self._run = 0

    # --- connection -------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Load the page over HTTP (cookies), then open the websocket: a new tab, a new Streamlit session."""
        await asyncio.to_thread(fetch_cookies, self.base_url, self.jar)
        await self._open_socket(resume=False)

    async def reconnect(self) -> None:
        """Drop the websocket and open it again asking for the same session, as the frontend does after a network
        blip. The server still holds it (server.disconnectedSessionTTL) only if the proxy routes back to it."""
        await self.close()
        await self._open_socket(resume=True)

    async def _open_socket(self, resume: bool) -> None:
        cookies = {c.name: c.value for c in self.jar}
        cookies.update(self.extra_cookies)
        xsrf = cookies.get("_streamlit_xsrf", "")
        parts = urllib.parse.urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        url = f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream"
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if resume and self.session_id and not xsrf:
            raise ProtocolError("cannot ask for the session back without the XSRF token in front of it")
        protocols = ["streamlit", xsrf] if xsrf else ["streamlit"]
        if resume and self.session_id:
            protocols.append(self.session_id)
        self._ws = await websockets.connect(url, additional_headers=headers, subprotocols=protocols,
                                            max_size=None, open_timeout=self.timeout, ping_interval=None)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    # --- requests ---------------------------------------------------------------------------------------------

    async def open_page(self, url_path: str = "", query: str = "") -> RunResult:
        """Open a page as a sidebar link does (its script hash; the first load sends the URL path instead)."""
        self.query_string = query
        self.url_path = url_path
        self.values.clear()
        page_hash = self.pages.get(url_path, "")
        self.elements.clear()
        return await self._rerun(page_hash=page_hash, page_name="" if page_hash else url_path)

    async def set_value(self, widget: Widget, **value) -> RunResult:
        """Move a widget (e.g. double_array_value=[3.0], string_value="x", json_value="...") and wait for the run."""
        state = WidgetState(id=widget.id, **_coerce(value))
        self.values[widget.id] = state
        return await self._rerun(fragment_id=widget.fragment_id)

    async def click(self, button: Widget, form_values: dict[str, dict] | None = None) -> RunResult:
        """Click a button; for a form's submit button, `form_values` maps widget id -> value fields sent with it."""
        for wid, value in (form_values or {}).items():
            self.values[wid] = WidgetState(id=wid, **_coerce(value))
        return await self._rerun(fragment_id=button.fragment_id, trigger=button.id)

    async def _rerun(self, *, page_hash: str | None = None, page_name: str = "", fragment_id: str = "",
                     trigger: str | None = None) -> RunResult:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash if page_hash is None else page_hash
        cs.page_name = page_name
        if fragment_id:
            cs.fragment_id = fragment_id
        cs.context_info.timezone = "UTC"
        cs.context_info.timezone_offset = 0
        cs.context_info.locale = "en-US"
        cs.context_info.url = f"{self.base_url}/{self.url_path}" + (f"?{self.query_string}" if self.query_string else "")
        active = {w.id for w in self.widgets()}
        for wid, state in self.values.items():
            if wid in active and wid != trigger:
                cs.widget_states.widgets.append(state)
        if trigger:
            cs.widget_states.widgets.append(WidgetState(id=trigger, trigger_value=True))
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        return await self._read_until_finished(t0, fragment_id)

    async def _read_until_finished(self, t0: float, fragment_id: str) -> RunResult:
        runs, nbytes, exceptions = 0, 0, []
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no script_finished within {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self._ws.recv(), left)
            except websockets.ConnectionClosed as exc:
                raise StreamClosed(f"server closed the stream: {exc}") from exc
            nbytes += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self._run += 1
                runs += 1
                if fwd.new_session.initialize.session_id:
                    self.session_id = fwd.new_session.initialize.session_id
            elif kind == "navigation":  # the page this run is drawing; the next rerun names it
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "delta":
                text = self._apply(fwd)
                if text:
                    exceptions.append(text)
            elif kind == "page_not_found":
                exceptions.append(f"page not found: {fwd.page_not_found.page_name}")
            elif kind == "script_finished":
                status = fwd.script_finished
                if status in DONE:
                    self._prune(fragment_id if status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY else None)
                    self.bytes_in += nbytes
                    return RunResult(time.perf_counter() - t0, status, runs, nbytes, exceptions)

    # --- the page ---------------------------------------------------------------------------------------------

    def _apply(self, fwd: ForwardMsg) -> str | None:
        path = tuple(fwd.metadata.delta_path)
        delta = fwd.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            el = delta.new_element
            kind = el.WhichOneof("type")
            self.elements[path] = (kind, getattr(el, kind) if kind else None, delta.fragment_id, self._run)
            if kind == "page_link" and el.page_link.page_script_hash:  # the sidebar: url path -> script hash
                self.pages[el.page_link.page] = el.page_link.page_script_hash
            if kind == "exception":
                e = el.exception
                return f"{e.type}: {e.message}"
        elif which == "add_block":
            block = delta.add_block
            self.elements[path] = ("block:" + (block.WhichOneof("type") or ""), block, delta.fragment_id, self._run)
        return None

    def _prune(self, fragment_id: str | None) -> None:
        """What the frontend does when a run ends: drop what this run did not draw (a fragment run: in it only)."""
        for path, (_, _, frag, run) in list(self.elements.items()):
            if run != self._run and (fragment_id is None or frag == fragment_id):
                del self.elements[path]
        active = {w.id for w in self.widgets()}
        for wid in [w for w in self.values if w not in active]:
            del self.values[wid]

    def widgets(self, kind: str | None = None) -> list[Widget]:
        out = []
        for path, (k, proto, frag, _) in sorted(self.elements.items()):
            if k in WIDGETS and (kind is None or k == kind) and getattr(proto, "id", ""):
                out.append(Widget(k, proto, frag, path))
        return out

    def widget(self, kind: str, *, label: str | None = None, key: str | None = None) -> Widget:
        """The widget of this kind whose label contains `label`, or whose user key is `key`."""
        for w in self.widgets(kind):
            if key is not None and w.id.endswith(f"-{key}"):
                return w
            if label is not None and key is None and label in w.label:
                return w
        raise ProtocolError(f"no {kind} with label {label!r} / key {key!r} on this page "
                            f"({[(w.kind, w.label) for w in self.widgets()]})")

    def has(self, kind: str, *, label: str | None = None, key: str | None = None) -> bool:
        try:
            self.widget(kind, label=label, key=key)
        except ProtocolError:
            return False
        return True

    def texts(self) -> list[str]:
        """Markdown and code bodies now on the page (what a learner reads)."""
        out = []
        for k, proto, _, _ in self.elements.values():
            if k == "markdown":
                out.append(proto.body)
            elif k == "code":
                out.append(proto.code_text)
            elif k == "alert":
                out.append(proto.body)
        return out


def _coerce(value: dict) -> dict:
    """WidgetState keyword fields: lists become the proto's array messages, dicts become JSON."""
    out = {}
    for name, v in value.items():
        if name == "double_array_value":
            out[name] = {"data": list(v)}
        elif name == "string_array_value":
            out[name] = {"data": list(v)}
        elif name == "json_value" and not isinstance(v, str):
            out[name] = json.dumps(v)
        else:
            out[name] = v
    return out
