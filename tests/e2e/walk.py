"""A learner's walk through one learning path in Chromium: pick the path on Home, open each step from the sidebar
in order, tick its sections, pass its quiz (answers from assets/quizzes via core.assessment, options clicked by
their text since each learner sees them shuffled), run its code labs where the path asks, and screenshot every
page at desktop and phone widths. Used by test_path_walks.py; written to survive layout changes (expanders are
opened before anything is looked for, widgets are found by their text, not their place)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.assessment import quiz as quizzes
from core.course.curriculum import Course, load_course
from core.course.progress import OWN_MODEL_PAGE
from core.labs import exercises
from tests.e2e import frames
from tests.e2e.server import sign_in, wait_idle

DESKTOP, PHONE = 1280, 390
EDITOR_SELECTORS = ".ace_content, .cm-content, .monaco-editor textarea, textarea"  # Ace, CodeMirror, Monaco, plain
SHOT_MAX_H = int(os.environ.get("RNN_COURSE_WALK_SHOT_MAX_H", "24000"))  # px of a page captured
TILE = 1800  # screenshot tiles this tall, so each can be opened in an image viewer


def norm(text: str) -> str:
    """Text as a person reads it: Markdown and LaTeX markers dropped, whitespace collapsed."""
    text = re.sub(r"[*`$\\]", "", text or "")
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class Walk:
    page: object  # playwright Page, at DESKTOP width
    base: str
    path_key: str
    shots: Path | None = None
    course: Course = field(default_factory=load_course)
    problems: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    # ---- plumbing --------------------------------------------------------------------------------------------

    @property
    def main(self):
        return self.page.get_by_test_id("stMainBlockContainer")

    @property
    def sidebar(self):
        return self.page.get_by_test_id("stSidebar")

    def note(self, text: str) -> None:
        self.log.append(text)
        print(f"[walk {self.path_key}] {text}", flush=True)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.note("PROBLEM: " + text)

    def idle(self) -> None:
        self.page.wait_for_timeout(300)
        wait_idle(self.page, 180_000)

    def open_expanders(self) -> None:
        if frames.expand_all(self.page, self.main):
            self.page.wait_for_timeout(400)

    def exceptions(self, where: str) -> None:
        for exc in self.page.get_by_test_id("stException").all():
            self.problem(f"{where}: exception on the page: {exc.inner_text()[:300]}")

    def screenshot(self, name: str) -> None:
        """Full-height shots at desktop and phone width, cut into tiles: <shots>/<path>-<nn>-<name>-<w>-<i>.png.

        Taken in a second tab of the same browser (same cookie, so the same learner, in a fresh session), so the
        walking tab is never resized: resizing it (1280 -> 390 -> page height -> 1280) left the code lab's editor
        component unable to load in that tab afterwards ("trouble loading streamlit_ace")."""
        if self.shots is None:
            return
        from PIL import Image

        self.shots.mkdir(parents=True, exist_ok=True)
        stem = f"{self.path_key}-{len(list(self.shots.glob(f'{self.path_key}-*-{DESKTOP}-0.png'))):02d}-{name}"
        url = self.page.url
        for width in (DESKTOP, PHONE):
            tab = self.page.context.new_page()
            try:
                tab.set_viewport_size({"width": width, "height": 900})
                tab.goto(url)
                try:
                    frames.settle(tab)
                except Exception:  # noqa: BLE001 - a page without a title (the sign-up gate): wait for idle only
                    wait_idle(tab, 180_000)
                height = tab.evaluate(
                    "Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
                    "[data-testid=stMainBlockContainer], [data-testid=stAppViewContainer] section')]"
                    ".map(e => e.scrollHeight))")
                tab.set_viewport_size({"width": width, "height": min(int(height) + 80, SHOT_MAX_H)})
                tab.wait_for_timeout(1200)
                wait_idle(tab, 180_000)
                full = self.shots / f"{stem}-{width}.png"
                tab.screenshot(path=str(full))
            finally:
                tab.close()
            image = Image.open(full)
            for i, top in enumerate(range(0, image.height, TILE)):
                image.crop((0, top, image.width, min(image.height, top + TILE))).save(
                    self.shots / f"{stem}-{width}-{i}.png")
            full.unlink()

    # ---- steps -----------------------------------------------------------------------------------------------

    def sign_up_and_pick_path(self, name: str) -> None:
        self.page.goto(self.base)
        wait_idle(self.page)
        self.screenshot("signup")
        sign_in(self.page, name)
        self.main.get_by_role("button", name=f"Follow path {self.path_key}").click()
        self.idle()
        self.main.get_by_text(f"Your path: {self.path_key}").first.wait_for(timeout=60_000)
        self.screenshot("home-path-chosen")

    def sidebar_order(self) -> list[str]:
        """The page ids the sidebar marks as on the path (★), in its order."""
        labels = [norm(t).rstrip(" ★").strip() for t in self.sidebar.get_by_role("link").filter(has_text="★")
                  .all_inner_texts()]
        by_label = {norm(p.label): pid for pid, p in self.course.pages.items()}
        found = []
        for label in labels:
            label = re.sub(r"^\S+\s", "", label) if label not in by_label else label  # an icon glyph first
            pid = by_label.get(label) or next((i for lab, i in by_label.items() if label.endswith(lab)), None)
            found.append(pid or f"?{label}")
        return found

    def open_step(self, page_id: str) -> None:
        target = self.course.pages[page_id]
        link = self.sidebar.get_by_role("link").filter(has_text=target.label).first
        try:
            link.click(timeout=10_000)
        except Exception:  # noqa: BLE001 - the link moved or the sidebar is closed: go there directly
            self.problem(f"{page_id}: no sidebar link '{target.label}'; opened by address")
            self.page.goto(f"{self.base}/{Path(target.file).stem}")
        frames.settle(self.page)
        self.exceptions(page_id)

    def tick(self, label_start: str) -> bool:
        box = self.main.locator("[data-testid='stCheckbox']").filter(has_text=label_start).first
        try:
            box.scroll_into_view_if_needed(timeout=10_000)
        except Exception:  # noqa: BLE001
            self.open_expanders()
            box.scroll_into_view_if_needed(timeout=10_000)
        if box.locator("input").is_checked():
            return True
        box.locator("label").first.click()
        self.idle()
        return box.locator("input").is_checked()

    def tick_sections(self, page_id: str) -> None:
        if page_id in self.course.modules:
            module = self.course.modules[page_id]
            for sid in self.course.required_sections(page_id, self.path_key):
                section = next(s for s in module.sections if s.id == sid)
                if not self.tick(f"{sid} {section.title}"):
                    self.problem(f"{page_id}: section {sid} did not stay ticked")
        elif not self.tick("I have worked through this page"):
            self.problem(f"{page_id}: 'I have worked through this page' did not stay ticked")

    # ---- the quiz --------------------------------------------------------------------------------------------

    def _card(self, heading: str):
        h = self.page.get_by_role("heading", name=heading)  # `has=` locators are relative: start from the page
        return self.main.locator("[data-testid='stVerticalBlock']").filter(has=h).last

    def _pick_label(self, group, wanted: str) -> None:
        labels = group.locator("label")
        texts = [norm(t) for t in labels.all_inner_texts()]
        target = norm(wanted)
        index = texts.index(target) if target in texts else next(
            (i for i, t in enumerate(texts) if target in t or t in target and t), None)
        if index is None:
            raise LookupError(f"option {wanted!r} not among {texts}")
        labels.nth(index).click()
        self.idle()

    def _select(self, box, wanted: str) -> None:
        box.scroll_into_view_if_needed()
        combo = box.get_by_role("combobox")
        (combo.first if combo.count() else box).click()
        options = self.page.get_by_role("option")
        options.first.wait_for(timeout=10_000)
        texts = [norm(t) for t in options.all_inner_texts()]
        if norm(wanted) not in texts:
            self.page.keyboard.press("Escape")
            raise LookupError(f"choice {wanted!r} not among {texts}")
        options.nth(texts.index(norm(wanted))).click()
        self.idle()

    def answer_quiz(self, module_id: str) -> None:
        module = self.course.modules[module_id]
        heading = f"Check your understanding: Module {module.number}"
        quiz = quizzes.load_quiz(module_id).for_path(self.path_key)
        self.open_expanders()
        card = self._card(heading)
        try:
            card.scroll_into_view_if_needed(timeout=30_000)
        except Exception:  # noqa: BLE001
            self.problem(f"{module_id}: no quiz card '{heading}'")
            return
        plain = card.locator("[data-testid='stCheckbox']").filter(has_text="drop-down lists")
        if plain.count() and not plain.first.locator("input").is_checked():
            plain.first.locator("label").first.click()
            self.idle()
        radios = iter(card.locator("[data-testid='stRadio']").all())
        inputs = iter(card.locator("[data-testid='stTextInput']").all())
        selects = card.locator("[data-testid='stSelectbox']").all()
        select_labels = [norm(s.locator("[data-testid='stWidgetLabel']").inner_text()) for s in selects]
        used: set[int] = set()

        def select_for(label: str):
            for i, text in enumerate(select_labels):
                if i not in used and text == norm(label):
                    used.add(i)
                    return selects[i]
            raise LookupError(f"no drop-down labelled {label!r} (have {select_labels})")

        for number, q in enumerate(quiz.questions, 1):
            try:
                if q.type == "single":
                    self._pick_label(next(radios), q.answer)
                elif q.type == "truefalse":
                    self._pick_label(next(radios), "True" if q.answer else "False")
                elif q.type == "multi":
                    for option in q.answer:
                        box = card.locator("[data-testid='stCheckbox']").filter(has_text=option.strip()[:60]).first
                        box.locator("label").first.click()
                        self.idle()
                elif q.type == "numeric":
                    field = next(inputs).locator("input")
                    field.fill(f"{q.answer:g}")
                    field.press("Enter")
                    self.idle()
                elif q.type == "matching":
                    for left, right in q.answer.items():
                        self._select(select_for(left), right)
                elif q.type == "ordering":
                    for i, item in enumerate(q.answer, 1):
                        self._select(select_for(f"Position {i}"), item)
            except Exception as exc:  # noqa: BLE001 - report it and go on with the next question
                self.problem(f"{module_id} quiz Q{number} ({q.type} {q.id}): could not answer: {exc}")
        card.get_by_role("button", name="Check my answers").click()
        self.idle()
        score = card.get_by_text(re.compile(r"Score: ")).first
        try:
            score.wait_for(timeout=30_000)
        except Exception:  # noqa: BLE001
            alerts = " | ".join(card.locator("[data-testid='stAlert']").all_inner_texts())[:400]
            self.problem(f"{module_id} quiz: no score after 'Check my answers' ({alerts})")
            return
        text = score.inner_text()
        self.note(f"{module_id} quiz: {text}")
        if card.get_by_text("Passed:").count() == 0:
            self.problem(f"{module_id} quiz: not passed with the key's answers ({text})")
        if "Score: " in text:
            got, _, top = text.split("Score: ")[1].split(" (")[0].partition(" / ")
            if got.strip() != top.strip():
                wrong = [t[:120] for t in card.locator("[data-testid='stAlert']").all_inner_texts()
                         if not t.startswith("Correct")]
                self.problem(f"{module_id} quiz: {text} with the key's answers; not marked correct: {wrong}")

    # ---- code labs -------------------------------------------------------------------------------------------

    def _lab_box(self, lab_id: str):
        anchor = self.page.locator(f"[id='lab-{lab_id}']")
        if anchor.count() == 0 or not anchor.first.is_visible():
            self.open_expanders()
            for tab in self.main.get_by_role("tab").all():
                if anchor.count() and anchor.first.is_visible():
                    break
                tab.click()
                self.idle()
        return self.main.locator("[data-testid='stVerticalBlock']").filter(has=anchor).last

    def _open_editor(self, lab_id: str):
        """The lab's box with its editor loaded (the prediction answered first); None when it never loads."""
        spec = exercises.get(lab_id)
        for attempt in range(2):
            box = self._lab_box(lab_id)
            try:
                box.scroll_into_view_if_needed(timeout=30_000)
            except Exception:  # noqa: BLE001
                self.problem(f"lab {lab_id}: not found on the page")
                return None
            if spec.predict and box.get_by_role("button", name="Check my prediction").count():
                self._pick_label(box.locator("[data-testid='stRadio']").first,
                                 spec.predict.options[spec.predict.answer])
                box.get_by_role("button", name="Check my prediction").click()
                self.idle()
                frames.settle(self.page)
                box = self._lab_box(lab_id)
            try:
                box.get_by_role("button", name="Run tests").wait_for(timeout=120_000)
                box.locator("iframe").first.wait_for(timeout=120_000)
                # Ready when the editor is drawn inside its frame (Streamlit's "trouble loading" notice can show
                # while a busy server is still sending the component, and goes once it has loaded).
                box.locator("iframe").first.content_frame.locator(EDITOR_SELECTORS).first.wait_for(timeout=150_000)
                return box
            except Exception:  # noqa: BLE001
                pass
            if attempt == 0:  # a component that timed out while the server was busy: a person would reload
                self.problem(f"lab {lab_id}: the editor did not load ({box.inner_text()[:160]!r}); reloading once")
                self.page.reload()
                frames.settle(self.page)
        self.problem(f"lab {lab_id}: no working editor after a reload")
        return None

    def run_lab(self, lab_id: str) -> None:
        spec = exercises.get(lab_id)
        box = self._open_editor(lab_id)
        if box is None:
            return
        frame = box.locator("iframe").first
        frame.scroll_into_view_if_needed()
        editor = frame.content_frame
        for selector in EDITOR_SELECTORS.split(", "):
            target = editor.locator(selector).first
            if target.count():
                break
        target.click(force=True)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(spec.solution)
        self.page.wait_for_timeout(1000)  # the editor sends its text after typing pauses
        self.idle()
        box.get_by_role("button", name="Run tests").click()
        verdict = box.get_by_text(re.compile(r"All tests pass|\d+ of \d+ tests pass")).first
        try:
            verdict.wait_for(timeout=180_000)
        except Exception:  # noqa: BLE001
            self.problem(f"lab {lab_id}: no verdict within 180 s")
            return
        self.idle()
        text = verdict.inner_text()
        self.note(f"lab {lab_id}: {text}")
        if "All tests pass" not in text:
            self.problem(f"lab {lab_id}: the reference solution typed into the editor got '{text}'")

    # ---- the walk --------------------------------------------------------------------------------------------

    def train_own_model(self) -> None:
        """Path C's last step: train on the preset text and wait until the model is saved (the walk's server runs
        short training runs: RNN_COURSE_TRAIN_SECONDS in the walk test)."""
        button = self.main.get_by_role("button", name="Train my model")
        try:
            button.wait_for(timeout=60_000)
            button.click()
            self.idle()
        except Exception:  # noqa: BLE001
            self.problem("own model: no 'Train my model' button")
            return
        saved = self.main.get_by_text("You have a saved model of your own")
        for _ in range(24):  # the run trains in the background; a learner would look again a little later
            self.page.wait_for_timeout(10_000)
            self.page.reload()
            frames.settle(self.page)
            if saved.count():
                self.note("own model: trained and saved")
                return
        self.problem("own model: no saved model 4 minutes after pressing 'Train my model'")

    def step(self, page_id: str) -> None:
        self.open_step(page_id)
        self.screenshot(page_id)  # as the learner first sees it: expanders still folded (path A's technical blocks)
        self.tick_sections(page_id)
        if page_id == OWN_MODEL_PAGE:
            self.train_own_model()
        if page_id in self.course.modules:
            self.answer_quiz(page_id)
            if self.course.paths[self.path_key].labs != "none":
                for lab_id in self.course.modules[page_id].labs:
                    self.run_lab(lab_id)
        frames.settle(self.page)
        if os.environ.get("RNN_COURSE_WALK_SHOTS_AFTER"):  # also the page after its quiz and labs (slower)
            self.screenshot(f"{page_id}-done")

    def finished_on_home(self) -> bool:
        self.sidebar.get_by_role("link").filter(has_text=self.course.pages["home"].label).first.click()
        frames.settle(self.page)
        done = self.main.get_by_text("You have completed every step of this path")
        try:
            done.first.wait_for(timeout=30_000)
            ok = True
        except Exception:  # noqa: BLE001
            ok = False
            todo = " | ".join(self.main.get_by_text("To complete it").all_inner_texts())
            nxt = " | ".join(self.main.get_by_role("link").filter(has_text="Next step").all_inner_texts())
            self.problem(f"Home does not show path {self.path_key} finished ({nxt}; {todo})")
        self.open_expanders()
        self.screenshot("home-finished")
        return ok

    def run(self, name: str) -> bool:
        self.sign_up_and_pick_path(name)
        steps = list(self.course.paths[self.path_key].steps)
        order = self.sidebar_order()
        if [s for s in order if s in steps] != steps or len(order) != len(steps):
            self.problem(f"sidebar's path order {order} differs from the path's steps {steps}")
        for page_id in steps:
            self.step(page_id)
        return self.finished_on_home()
