"""What one simulated learner does: sign in with the app's own form, then walk a tour of module pages (open a
page, move a demo slider, tick a section, sample text in module 4, submit the module 2 code lab) with think time
between steps. Every step is one browser interaction: one `rerun_script` and the run(s) it causes.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.labs import exercises
from tests.load.protocol import FINISHED, ProtocolError, RunResult, StreamlitSession

PRIMES = ["ROMEO: ", "The king ", "To be, or ", "First Citizen:\n", "What light ", "My lord, ", "Good night, "]
LAB = "rnn_step"  # module 2's lab: predict-first question, then the editor and a sandboxed test run

# (kind, page, what): the tour every learner walks, each from a random starting step
TOUR: list[tuple[str, str, str]] = [
    ("page", "m02_rnn", ""),  # m02's what-if sliders (scale, input steps) compute in the browser: no server step
    ("tick", "m02_rnn", "done::m02::2.1"),
    ("lab", "m02_rnn", LAB),
    ("page", "m03_lstm", ""),
    ("slider", "m03_lstm", "m03-steps"),
    ("slider", "m03_lstm", "m03-bias"),
    ("page", "m04_char_lm", ""),
    ("sample", "m04_char_lm", "m04-prime"),
    ("sample", "m04_char_lm", "m04-resample"),
    ("page", "", ""),  # Home
]


@dataclass
class Interaction:
    kind: str  # signin, page, slider, tick, sample, lab-predict, lab-edit, lab-run
    started: float  # time.monotonic() when the message was sent
    seconds: float
    ok: bool
    error: str = ""
    bytes: int = 0
    runs: int = 0  # script runs it caused (2 when the script calls st.rerun)
    fragment: bool = False  # only an st.fragment reran


class Learner:
    def __init__(self, base_url: str, number: int, record: Callable[[Interaction], None], *,
                 think: tuple[float, float] = (1.0, 3.0), seed: int = 0, timeout: float = 120.0):
        self.s = StreamlitSession(base_url, timeout=timeout)
        self.number = number
        self.record = record
        self.think = think
        self.rng = random.Random(seed * 1000 + number)
        self.step = self.rng.randrange(len(TOUR))
        self.page: str | None = None
        self.lab_runs = 0

    async def run(self, stop_at: float, max_steps: int | None = None) -> None:
        """Sign in, then walk the tour until `stop_at` (time.monotonic()) or `max_steps`; errors are recorded,
        not raised."""
        try:
            await self._timed("signin", self._sign_in)
            if self.page is None:
                return
            while time.monotonic() < stop_at and (max_steps is None or self.step < max_steps):
                await asyncio.sleep(self.rng.uniform(*self.think))
                if time.monotonic() >= stop_at:
                    break
                kind, page, what = TOUR[self.step % len(TOUR)]
                self.step += 1
                await self._do(kind, page, what)
        except (ProtocolError, TimeoutError, OSError):
            pass  # already recorded: a closed or stuck tab stops this learner
        finally:
            try:
                await self.s.close()
            except Exception:  # noqa: BLE001 - closing a broken socket must not hide the numbers
                pass

    async def _sign_in(self) -> RunResult:
        t0 = time.perf_counter()
        await self.s.connect()
        await self.s.open_page("")
        name = self.s.widget("text_input", label="Display name")
        submit = self.s.widget("button", label="Start learning")
        r = await self.s.click(submit, {name.id: {"string_value": f"Load learner {self.number}"}})
        if not any("Load learner" in t for t in self.s.texts()):
            raise ProtocolError("sign-in did not show the learner's name")
        self.page = ""
        r.seconds = time.perf_counter() - t0  # the HTTP GET, the websocket, the form page and the sign-in
        return r

    async def _do(self, kind: str, page: str, what: str) -> None:
        if kind == "page":
            await self._timed("page", lambda: self._open(page))
            return
        if self.page != page:  # the tour was entered mid-page: open the page first (counted as a page open)
            await self._timed("page", lambda: self._open(page))
            await asyncio.sleep(self.rng.uniform(*self.think))
        if kind == "slider":
            await self._timed("slider", lambda: self._move_slider(what))
        elif kind == "tick":
            await self._timed("tick", lambda: self._tick(what))
        elif kind == "sample":
            await self._timed("sample", lambda: self._sample(what))
        elif kind == "lab":
            await self._lab(what)

    async def _timed(self, kind: str, action: Callable) -> None:
        t0 = time.monotonic()
        try:
            r = await action()
        except (ProtocolError, TimeoutError, OSError) as exc:
            self.record(Interaction(kind, t0, time.monotonic() - t0, False, f"{type(exc).__name__}: {exc}"[:300]))
            if type(exc) is not ProtocolError:
                raise  # the stream is gone or stuck: this learner stops
            return
        error = "; ".join(r.exceptions)[:300]
        self.record(Interaction(kind, t0, r.seconds, not error, error, r.bytes, r.runs,
                                r.status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY))

    async def _open(self, page: str) -> RunResult:
        r = await self.s.open_page(page)
        self.page = page
        return r

    async def _move_slider(self, key: str) -> RunResult:
        w = self.s.widget("slider", key=key)
        p = w.proto
        steps = max(1, round((p.max - p.min) / p.step)) if p.step else 10
        current = list(self.s.values[w.id].double_array_value.data) if w.id in self.s.values else list(p.default)
        for _ in range(10):
            value = p.min + self.rng.randint(0, steps) * (p.step or (p.max - p.min) / 10)
            if not current or abs(value - current[0]) > 1e-9:
                break
        return await self.s.set_value(w, double_array_value=[round(value, 10)])

    async def _tick(self, key: str) -> RunResult:
        w = self.s.widget("checkbox", key=key)
        now = self.s.values[w.id].bool_value if w.id in self.s.values else bool(w.proto.value)
        return await self.s.set_value(w, bool_value=not now)

    async def _sample(self, what: str) -> RunResult:
        if what == "m04-resample":
            return await self.s.click(self.s.widget("button", key=what))
        w = self.s.widget("text_input", key=what)
        return await self.s.set_value(w, string_value=self.rng.choice(PRIMES))

    async def _lab(self, lab_id: str) -> None:
        """Answer the predict-first question once, then type code (the editor sends it: a fragment rerun) and
        press "Run tests" (graded in the sandbox). Alternates the starter code (tests fail) and the solution."""
        spec = exercises.get(lab_id)
        predict = f"lab-{lab_id}-predict"
        if self.s.has("radio", key=predict):
            answer = spec.predict.options[spec.predict.answer]
            await self._timed("lab-predict", lambda: self.s.set_value(self.s.widget("radio", key=predict),
                                                                      string_value=answer))
            await asyncio.sleep(self.rng.uniform(*self.think))
            await self._timed("lab-predict", lambda: self.s.click(self.s.widget("button", key=predict + "-check")))
            await asyncio.sleep(self.rng.uniform(*self.think))
        self.lab_runs += 1
        code = spec.solution if self.lab_runs % 2 == 0 else spec.starter

        async def edit() -> RunResult:
            editor = [w for w in self.s.widgets("component_instance") if f"lab-{lab_id}-code-" in w.id]
            if not editor:
                raise ProtocolError(f"no editor for lab {lab_id} on this page")
            return await self.s.set_value(editor[0], json_value=json.dumps(code))

        async def run_tests() -> RunResult:
            r = await self.s.click(self.s.widget("button", key=f"lab-{lab_id}-run"))
            if not any("Graded in" in t for t in self.s.texts()) and not r.exceptions:
                r.exceptions.append("no grading report after Run tests")
            return r

        await self._timed("lab-edit", edit)
        await asyncio.sleep(self.rng.uniform(0.3, 1.0))  # the click follows the typing pause
        await self._timed("lab-run", run_tests)
