"""Flashcards: the card set (assets/flashcards.yaml, Appendix E's interview questions from assets/interview.yaml,
and one card per glossary term), FSRS scheduling per
learner, the per-concept mastery view and the Anki (.apkg) export.

Scheduling state is an fsrs.Card serialised to JSON and kept in core.cohort.store; every datetime here is UTC-aware.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import genanki
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from core import settings
from core.assessment import interview, quiz
from core.assessment.quiz import QuizError
from core.cohort.store import AnswerRecord, DeckCardRecord, Store
from core.course import glossary
from core.course.content import LINE, read_yaml

CARDS_FILE = settings.ASSETS / "flashcards.yaml"
LEVELS = ("Foundational", "Intermediate", "Advanced", "Expert")
KINDS = ("concept", "coding", "math", "system-design", "cert")
SOURCES = ("seed", "interview", "module", "glossary")
# Fixed forever: Anki recognises a re-imported deck/note type by these ids and updates instead of duplicating.
ANKI_MODEL_ID = 1_607_392_319
ANKI_DECK_ID = 2_059_400_110
# No fuzzing: the same review gives the same due date, which learners (and tests) can rely on.
SCHEDULER = Scheduler(enable_fuzzing=False)


@dataclass(frozen=True)
class Card:
    id: str
    front: str  # markdown (may contain $...$ math)
    back: str
    module: str | None
    level: str
    kind: str
    tags: tuple[str, ...]
    source: str


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def term_card_id(term: str) -> str:
    return f"term-{slug(term)}"


def _glossary_cards(terms: Iterable[glossary.Term]) -> list[Card]:
    return [
        Card(term_card_id(t.term), f"Key term: what is **{t.term}**?", f"{t.plain}\n\n*Technically:* {t.technical}",
             t.module, "Foundational", "concept", ("key-term", slug(t.term)), "glossary")
        for t in terms
    ]


def parse_cards(data: object, source: Path, module_ids: set[str] | None = None) -> list[Card]:
    """Validate the YAML card list; errors name the file and line of the offending card."""
    if not isinstance(data, list) or not data:
        raise QuizError(f"{source}:1: the flashcard file must be a list of cards")
    cards = []
    for raw in data:
        where = f"{source}:{raw.get(LINE, '?') if isinstance(raw, dict) else '?'}"
        if not isinstance(raw, dict):
            raise QuizError(f"{where}: each card must be a mapping")
        missing = [k for k in ("id", "front", "back", "level", "kind", "tags", "source") if not raw.get(k)]
        if missing:
            raise QuizError(f"{where}: card {raw.get('id')!r} is missing {', '.join(missing)}")
        if raw["level"] not in LEVELS or raw["kind"] not in KINDS or raw["source"] not in SOURCES:
            raise QuizError(f"{where}: card {raw['id']!r}: level must be one of {LEVELS}, kind one of {KINDS}, "
                            f"source one of {SOURCES}")
        module = raw.get("module")
        if module_ids is not None and module is not None and module not in module_ids:
            raise QuizError(f"{where}: card {raw['id']!r} names unknown module {module!r}")
        tags = tuple(str(t) for t in raw["tags"])
        cards.append(Card(str(raw["id"]), raw["front"].strip(), raw["back"].strip(), module, raw["level"],
                          raw["kind"], tags, raw["source"]))
    return cards


def _interview_cards(questions: Iterable[interview.Question], source: Path) -> list[Card]:
    cards = []
    for q in questions:
        if q.level not in LEVELS or q.kind not in KINDS:
            raise QuizError(f"{source}:{q.line}: question {q.id!r}: level must be one of {LEVELS}, kind one of {KINDS}")
        cards.append(Card(q.id, q.front, q.answer, q.module, q.level, q.kind, ("interview", *q.tags), "interview"))
    return cards


@cache
def load_cards(path: Path = CARDS_FILE, interview_path: Path = interview.INTERVIEW_FILE) -> tuple[Card, ...]:
    """All cards: the YAML file's, the interview questions, then one per glossary term. Raises QuizError
    (file:line) when malformed."""
    cards = (parse_cards(read_yaml(path), path) + _interview_cards(interview.load(interview_path), interview_path)
             + _glossary_cards(glossary.load()))
    ids = [c.id for c in cards]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise QuizError(f"{path}: duplicate card ids {dupes}")
    return tuple(cards)


def by_id(cards: Iterable[Card]) -> dict[str, Card]:
    return {c.id: c for c in cards}


def filter_cards(cards: Iterable[Card], *, tags: Iterable[str] = (), levels: Iterable[str] = (),
                 modules: Iterable[str] = (), kinds: Iterable[str] = (), ids: Iterable[str] | None = None) -> list[Card]:
    """Cards matching every given filter (an empty filter matches all); a card matches `tags` if it has any."""
    tags, levels, modules, kinds = set(tags), set(levels), set(modules), set(kinds)
    keep = set(ids) if ids is not None else None
    return [
        c for c in cards
        if (not tags or tags & set(c.tags)) and (not levels or c.level in levels)
        and (not modules or c.module in modules) and (not kinds or c.kind in kinds)
        and (keep is None or c.id in keep)
    ]


# ---- scheduling ----------------------------------------------------------------------------------------------


def _stable_int(card_id: str) -> int:
    return int(hashlib.sha256(card_id.encode()).hexdigest()[:12], 16)


def new_state(card_id: str, now: datetime) -> FsrsCard:
    """A fresh FSRS card, due now."""
    return FsrsCard(card_id=_stable_int(card_id), due=now)


def review(state_json: str, rating: Rating, now: datetime) -> FsrsCard:
    """The card's state after a review at `now` (UTC-aware)."""
    card, _ = SCHEDULER.review_card(FsrsCard.from_json(state_json), rating, now)
    return card


def next_due(state_json: str, now: datetime) -> dict[Rating, datetime]:
    """When the card would come back for each possible rating (shown on the buttons)."""
    return {r: review(state_json, r, now).due for r in Rating}


def recall_probability(state_json: str, now: datetime) -> float | None:
    """FSRS's estimate that the learner recalls the card now; None before the first review."""
    card = FsrsCard.from_json(state_json)
    if card.last_review is None:
        return None
    return float(SCHEDULER.get_card_retrievability(card, now))


def add_to_deck(db: Store, learner_id: int, card: Card, source: str, now: datetime | None = None) -> bool:
    """Put a card in the learner's deck, due now; False when it is already there."""
    now = now or datetime.now(UTC)
    return db.add_to_deck(learner_id, card.id, new_state(card.id, now).to_json(), now, source, card.module)


def add_for_failed_lab(db: Store, learner_id: int, module_id: str, lab_id: str,
                       now: datetime | None = None) -> list[str]:
    """A failed code-lab test puts the module's coding cards (else its key-idea cards) in the learner's deck.

    Returns the ids newly added; the deck entries are marked with source 'lab:<lab_id>'."""
    module_cards = [c for c in load_cards() if c.module == module_id]
    chosen = [c for c in module_cards if c.kind == "coding"] or [c for c in module_cards if c.source == "module"]
    return [c.id for c in chosen if add_to_deck(db, learner_id, c, f"lab:{lab_id}", now)]


def rate(db: Store, learner_id: int, card_id: str, rating: Rating, now: datetime | None = None) -> datetime:
    """Record a review and return the card's next due date."""
    now = now or datetime.now(UTC)
    deck = db.deck(learner_id)
    if card_id not in deck:
        raise KeyError(f"{card_id!r} is not in this learner's deck")
    card = review(deck[card_id].fsrs, rating, now)
    db.record_review(learner_id, card_id, int(rating), card.to_json(), card.due, now)
    return card.due


def due_now(deck: dict[str, DeckCardRecord], now: datetime) -> list[str]:
    """Card ids due at `now`, most overdue first."""
    return [cid for cid, rec in sorted(deck.items(), key=lambda kv: kv[1].due) if rec.due <= now]


def humanize_until(when: datetime, now: datetime) -> str:
    seconds = (when - now).total_seconds()
    if seconds < 60:
        return "now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    return "now"


# ---- mastery -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mastery:
    card_id: str
    module: str | None
    quiz_right: int  # latest answers to the questions linked to this card
    quiz_total: int
    recall: float | None  # FSRS recall probability now
    due: datetime | None
    in_deck: bool

    @property
    def score(self) -> float | None:
        """0..1 combining the latest quiz answers and FSRS recall; None with no evidence yet."""
        parts = []
        if self.quiz_total:
            parts.append(self.quiz_right / self.quiz_total)
        if self.recall is not None:
            parts.append(self.recall)
        return sum(parts) / len(parts) if parts else None

    def status(self, now: datetime) -> str:
        if self.in_deck and self.due is not None and self.due <= now:
            return "review now"
        score = self.score
        if score is None:
            return "new"
        return "solid" if score >= 0.85 else "shaky" if score >= 0.5 else "weak"


def question_cards(quizzes: Iterable[quiz.Quiz]) -> dict[tuple[str, str], str]:
    """(quiz id, question id) -> linked card id."""
    return {(qz.id, q.id): q.card for qz in quizzes for q in qz.questions if q.card}


def mastery(deck: dict[str, DeckCardRecord], answers: Iterable[AnswerRecord], links: dict[tuple[str, str], str],
            cards: dict[str, Card], now: datetime) -> list[Mastery]:
    """One row per concept (card) the learner has met in a quiz or holds in the deck, weakest first."""
    latest: dict[tuple[str, str], AnswerRecord] = {}
    for a in answers:
        key = (a.quiz_id, a.question_id)
        if a.correct is not None and (key not in latest or a.attempt >= latest[key].attempt):
            latest[key] = a
    quiz_stats: dict[str, list[int]] = {}
    for key, a in latest.items():
        card_id = links.get(key)
        if card_id:
            right_total = quiz_stats.setdefault(card_id, [0, 0])
            right_total[0] += int(bool(a.correct))
            right_total[1] += 1
    rows = []
    for card_id in sorted(set(deck) | set(quiz_stats)):
        rec = deck.get(card_id)
        right, total = quiz_stats.get(card_id, (0, 0))
        module = rec.module_id if rec else (cards[card_id].module if card_id in cards else None)
        rows.append(Mastery(card_id, module, right, total, recall_probability(rec.fsrs, now) if rec else None,
                            rec.due if rec else None, rec is not None))
    order = {"review now": 0, "weak": 1, "shaky": 2, "new": 3, "solid": 4}
    return sorted(rows, key=lambda m: (order[m.status(now)], m.score if m.score is not None else 0.5, m.card_id))


# ---- Anki export ---------------------------------------------------------------------------------------------

_ANKI_MODEL = genanki.Model(
    ANKI_MODEL_ID,
    "RNN Course card",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Module"}, {"name": "Level"}],
    templates=[{
        "name": "Card 1",
        "qfmt": "{{Front}}<div class=meta>{{Module}} · {{Level}}</div>",
        "afmt": "{{FrontSide}}<hr id=answer>{{Back}}",
    }],
    css=".card { font-family: sans-serif; font-size: 18px; text-align: left; } .meta { color: #888; font-size: 12px; }",
)


def to_html(markdown: str) -> str:
    """Just enough Markdown for a card: code blocks, inline code, bold, italics, math (MathJax), line breaks."""
    parts = re.split(r"```[a-z]*\n(.*?)```", markdown, flags=re.S)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<pre><code>{html.escape(part.rstrip())}</code></pre>")
            continue
        text = html.escape(part, quote=False)
        text = re.sub(r"\$\$(.+?)\$\$", r"\\[\1\\]", text, flags=re.S)
        text = re.sub(r"\$(.+?)\$", r"\\(\1\\)", text)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<i>\1</i>", text)
        out.append(text.strip("\n").replace("\n\n", "<br><br>").replace("\n", " "))
    return "".join(out)


def export_apkg(cards: Iterable[Card], deck_name: str = "RNN Course") -> bytes:
    """An Anki package of `cards`. Ids are fixed, so re-importing updates the notes instead of duplicating them."""
    deck = genanki.Deck(ANKI_DECK_ID if deck_name == "RNN Course" else _stable_int(deck_name) % (1 << 31), deck_name)
    for c in cards:
        tags = [slug(t) for t in c.tags] + [f"level::{c.level.lower()}", f"kind::{c.kind}"]
        if c.module:
            tags.append(f"module::{c.module}")
        deck.add_note(genanki.Note(model=_ANKI_MODEL, guid=genanki.guid_for("rnn-course", c.id),
                                   fields=[to_html(c.front), to_html(c.back), c.module or "", c.level], tags=tags))
    buffer = io.BytesIO()
    genanki.Package(deck).write_to_file(buffer, timestamp=0)
    return buffer.getvalue()
