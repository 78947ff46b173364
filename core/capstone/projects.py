"""Module 10 capstone: project starting points (level x domain), the server's own measurement of a learner's run
on its held-out split, and the badge and milestone rules, which are pure functions of recorded events (wording in
assets/capstone.yaml). Data sets: core.capstone.data; neurons: core.capstone.neurons; downloads: core.capstone.export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

import torch
import yaml

from core import settings
from core.capstone import data as capstone_data
from core.data.corpora import CORPORA, CorpusError, load_text, shuffle_lines
from core.jobs import runs as learner_runs
from core.metrics import PerCharLoss
from core.models import inference, sampling
from core.training import checkpoints
from core.training.loop import evaluate_loss

CONTENT = settings.ASSETS / "capstone.yaml"
EVAL_MAX_CHARS = 100_000  # held-out characters the server scores per run (a bound on its work)
LEADERBOARD_MIN_CHARS = 2_000
SAMPLE_CHARS, SAMPLE_TEMPERATURE, SAMPLE_SEED = 400, 0.8, 0
OWN_DATA = "own-data"  # leaderboard category of runs on uploaded text
PPL_BADGES = (("ppl-8", 8.0), ("ppl-5", 5.0))
NEURON_MIN_R = 0.4  # |r| a saved neuron finding needs to count towards the badge (core.capstone.neurons)


@cache
def content() -> dict:
    return yaml.safe_load(CONTENT.read_text(encoding="utf-8"))


# ---- project starting points ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    level: str
    domain: str
    title: str
    corpus: str | None  # None: the learner uploads text
    model: dict  # CharLMConfig fields (without vocab_size)
    train: dict  # TrainConfig fields
    goal: str
    challenge: str
    about: str
    judge: str
    reference: str | None  # a shipped checkpoint trained on the same corpus


def levels() -> list[dict]:
    return content()["levels"]


def domains() -> list[dict]:
    return content()["domains"]


def template(level: str, domain: str) -> Template:
    """The configured starting point for a difficulty level and a domain."""
    lv = next((x for x in levels() if x["id"] == level), None)
    dm = next((x for x in domains() if x["id"] == domain), None)
    if lv is None or dm is None:
        raise ValueError(f"Unknown level {level!r} or domain {domain!r}.")
    return Template(level, domain, f"{lv['title']} · {dm['title']}", dm["corpus"], dict(lv["model"]),
                    dict(lv["train"]), lv["goal"], lv["challenge"], dm["about"], dm["judge"], dm["reference"])


def reference_perplexity(t: Template) -> tuple[str, float] | None:
    """(checkpoint, perplexity on its validation split) of the course's shipped model for this corpus."""
    if not t.reference:
        return None
    try:
        loss = checkpoints.entry(t.reference)["metrics"]["val_loss_nats_per_char"]
    except (checkpoints.CheckpointError, KeyError):
        return None
    return t.reference, math.exp(loss)


def starter_script(t: Template) -> str:
    """A Python script that trains the template's model with this course's own code (runs from the repo root)."""
    corpus = repr(t.corpus) if t.corpus else '"my_text.txt"  # your UTF-8 file'
    load = "TextData.from_text(open(CORPUS, encoding='utf-8').read())"
    if t.corpus:  # a list like names.txt is sorted: shuffle its lines once so the order is not what is learned
        load = "TextData.from_corpus(CORPUS, shuffle_lines_seed=0)" if t.corpus == "names" else "TextData.from_corpus(CORPUS)"
    model = ", ".join(f"{k}={v!r}" for k, v in t.model.items())
    train = ", ".join(f"{k}={v!r}" for k, v in t.train.items())
    return f'''"""Capstone starting point: {t.title}. Run from the course repository: python capstone_start.py"""

import math

import torch

from core.models import sampling
from core.data.corpora import TextData
from core.models.charlm import CharLMConfig, build
from core.training.loop import TrainConfig, train

CORPUS = {corpus}
torch.manual_seed(0)
data = {load}
model = build(CharLMConfig(vocab_size=len(data.vocab), {model}))
cfg = TrainConfig(max_steps=0, eval_every=100, {train})


def report(info):
    if info.val_loss is not None:
        print(f"step {{info.step}}: train {{info.loss:.3f}}, val {{info.val_loss:.3f}} nats/char")


history = train(model, data, cfg, on_step=report)
val = history.evals[-1][1]
print(f"held-out perplexity {{math.exp(val):.2f}} ({{val / math.log(2):.3f}} bits/char)")
model.eval()
print(sampling.sample(model, data.vocab, 400, temperature=0.8, prime="\\n"))
'''


# ---- the server's measurement of a learner's run -------------------------------------------------------------


@dataclass(frozen=True)
class Measurement(PerCharLoss):
    run_id: str
    title: str
    corpus: str
    config: dict
    loss: float  # nats/char on (the first EVAL_MAX_CHARS of) the held-out split
    chars: int
    unknown_skipped: int
    unigram_perplexity: float
    sample: str
    category: str | None  # leaderboard category, None when the run cannot be ranked
    why_not: str  # reason when category is None


@lru_cache(maxsize=2)
def _corpus_versions(corpus: str) -> tuple[str, ...]:
    """The corpus as the in-app trainer may have used it: as is, and (for line lists) shuffled with seed 0."""
    text = load_text(corpus)
    return (text, shuffle_lines(text, 0)) if corpus == "names" else (text,)


def _verify_builtin(corpus: str, held_out: str) -> str:
    """'' when the held-out text is one contiguous piece of the built-in corpus, else the reason. (A text made of
    a few corpus lines repeated, which would be trivially easy to predict, is not such a piece.)"""
    try:
        versions = _corpus_versions(corpus)
    except CorpusError as exc:
        return f"the {corpus} corpus is not on this server to check against ({exc})"
    return "" if any(held_out in v for v in versions) else f"it is not a contiguous part of the {corpus} corpus"


def leaderboard_category(corpus: str, held_out: str) -> tuple[str | None, str]:
    """(category, '') when a run on `corpus` with this held-out text can be ranked, else (None, reason)."""
    if len(held_out) < LEADERBOARD_MIN_CHARS:
        return None, f"its held-out split has {len(held_out):,} characters; the leaderboard needs {LEADERBOARD_MIN_CHARS:,}"
    if corpus in CORPORA:
        reason = _verify_builtin(corpus, held_out)
        return (None, f"its held-out text could not be verified: {reason}") if reason else (corpus, "")
    return OWN_DATA, ""


def evaluate_run(learner_id: int, run_id: str, max_chars: int = EVAL_MAX_CHARS) -> Measurement:
    """Load the learner's own run and score it on the held-out text stored with it, under inference mode.

    KeyError when the run is not this learner's; ValueError when too little held-out text is left to score."""
    model, vocab, rec = learner_runs.load_run(learner_id, run_id)
    held_out = learner_runs.held_out_text(learner_id, run_id)
    scored = held_out[: max_chars + 1]
    ids = vocab.encode(scored, unknown="skip")
    if len(ids) < 2:
        raise ValueError("The held-out split has fewer than 2 characters the model knows.")
    inference.configure_threads()
    with inference.inference():
        loss, chars = evaluate_loss(model, torch.tensor(ids, dtype=torch.long))
    if not math.isfinite(loss):
        raise ValueError("The model's loss on its held-out text is not finite (the weights diverged).")
    sample = sampling.sample(model, vocab, SAMPLE_CHARS, SAMPLE_TEMPERATURE, prime=held_out[:1], seed=SAMPLE_SEED)
    category, why = leaderboard_category(rec.corpus, held_out)
    return Measurement(run_id, rec.title, rec.corpus, rec.config, loss, chars, len(scored) - len(ids),
                       capstone_data.unigram_perplexity(scored), sample, category, why)


# ---- badges and milestones: pure functions of recorded events ------------------------------------------------


@dataclass(frozen=True)
class Events:
    """What actually happened, read from the learner's runs and the store."""

    runs: list  # learner_runs.RunRecord
    results: list  # store.ResultRecord (server measurements)
    findings: list = field(default_factory=list)  # store.FindingRecord
    reviews_done: int = 0
    samples: list = field(default_factory=list)  # store.GalleryItem of the learner's own
    feedback: dict = field(default_factory=dict)  # sample id -> store.ReviewAggregate
    labs_solved: int = 0
    notes: dict = field(default_factory=dict)  # saved project notes: id -> text


def _finite_run(r) -> bool:
    return r.steps >= 1 and r.val_loss is not None and math.isfinite(r.val_loss) and r.stopped != "nan"


def earned_badges(ev: Events) -> dict[str, str]:
    """badge id -> evidence, for every badge the events justify."""
    out: dict[str, str] = {}
    runs = [r for r in ev.runs if _finite_run(r)]
    if runs:
        first = min(runs, key=lambda r: r.created_at)
        out["first-run"] = f"run '{first.title}': {first.steps} steps, validation loss {first.val_loss:.3f} nats/char"
    for r in ev.results:
        ppl = math.exp(r.loss)
        if ppl < r.unigram_perplexity and "beat-baseline" not in out:
            out["beat-baseline"] = f"'{r.title}': perplexity {ppl:.2f} vs unigram baseline {r.unigram_perplexity:.2f}"
        for badge, limit in PPL_BADGES:
            if ppl < limit and r.chars >= LEADERBOARD_MIN_CHARS and badge not in out:
                out[badge] = f"'{r.title}': perplexity {ppl:.2f} on {r.chars:,} held-out characters"
        if r.category and not r.hidden and "on-the-board" not in out:
            out["on-the-board"] = f"'{r.title}' on the {r.category} leaderboard"
    strong = {(f.run_id, f.layer, f.neuron): f for f in ev.findings if abs(f.correlation) >= NEURON_MIN_R}
    if len(strong) >= 3:
        out["neuron-hunter"] = "; ".join(f"neuron {f.neuron} ~ {f.feature} (r={f.correlation:+.2f})"
                                         for f in list(strong.values())[:3])
    if ev.reviews_done >= 3:
        out["peer-reviewer"] = f"{ev.reviews_done} blinded reviews completed"
    for s in ev.samples:
        agg = ev.feedback.get(s.id)
        if agg and agg.reviews >= 2 and agg.coherence >= 3.5 and len(s.text.split()) >= 100:
            out["coherent-writer"] = f"sample #{s.id}: coherence {agg.coherence:.1f}/5 from {agg.reviews} peers"
            break
    if ev.labs_solved >= 4:
        out["lab-regular"] = f"{ev.labs_solved} code labs passed"
    return out


@dataclass(frozen=True)
class Milestone:
    name: str
    done: bool
    how: str


def milestones(ev: Events) -> list[Milestone]:
    """The five capstone milestones, each judged from recorded events."""
    noted = {k for k, v in ev.notes.items() if len(v.strip()) >= 20}
    return [
        Milestone("Prepare the data", bool(ev.notes.get("template")),
                  "Choose a project and its data set above (saved for you)."),
        Milestone("Choose the architecture", "architecture" in noted,
                  "Write down your model choice and why (at least a sentence)."),
        Milestone("Train", any(_finite_run(r) for r in ev.runs), "Save one finished training run."),
        Milestone("Evaluate", bool(ev.results), "Have the server measure a run on its held-out split."),
        Milestone("Present", bool(ev.results) and {"approach", "limitations"} <= noted,
                  "Write the approach and limitations notes, then export your presentation."),
    ]


def certificate_skills(completed_modules: list[str], badge_ids: list[str]) -> list[str]:
    """Skills listed on the certificate: one per completed module, plus what the capstone badges show."""
    skills = [content()["module_skills"][m] for m in completed_modules if m in content()["module_skills"]]
    if "beat-baseline" in badge_ids:
        skills.append("Trained a model that beats the character-frequency baseline on held-out text")
    if "neuron-hunter" in badge_ids:
        skills.append("Identified interpretable neurons by measured correlation")
    if "peer-reviewer" in badge_ids:
        skills.append("Reviewed peers' generated text on coherence, creativity and style")
    return skills


# ---- progress dashboard: phases timed from recorded events ----------------------------------------------------


def as_utc(at: datetime | str) -> datetime:
    """A stored time stamp (datetime or ISO string, naive meaning UTC) as an aware UTC datetime."""
    dt = datetime.fromisoformat(at) if isinstance(at, str) else at
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@dataclass(frozen=True)
class Phase:
    """One milestone's phase: from the previous milestone reached (start) to this one's recorded event (end)."""

    name: str
    status: str  # "done" | "current" | "not started"
    start: datetime | None
    end: datetime | None
    start_from: str  # what the start is measured from
    end_at: str  # what event marks the end
    next_step: str  # the milestone's instruction

    def duration(self, now: datetime | None = None) -> timedelta | None:
        """end - start for a done phase; now - start for the current one; None when unknown or out of order."""
        end = self.end if self.status == "done" else (now if self.status == "current" else None)
        if self.start is None or end is None or end < self.start:
            return None
        return end - self.start


def milestone_times(ev: Events, note_times: dict[str, datetime]) -> list[tuple[datetime | None, str]]:
    """(time stamp, what it is) of the event that reached each milestone, in milestone order; (None, '') where the
    milestone is not reached. `note_times`: project note id -> when it was last saved."""
    done = [m.done for m in milestones(ev)]
    notes = {k: as_utc(v) for k, v in note_times.items()}
    runs = [r for r in ev.runs if _finite_run(r)]
    first_run = min((as_utc(r.created_at) for r in runs), default=None)
    first_eval = min((as_utc(r.evaluated_at) for r in ev.results), default=None)
    present = [t for t in (notes.get("approach"), notes.get("limitations"), first_eval) if t is not None]
    found = [
        (notes.get("template"), "project choice saved (its latest save)"),
        (notes.get("architecture"), "architecture note saved (its latest save)"),
        (first_run, "first finished run saved"),
        (first_eval, "earliest server measurement still stored (re-measuring a run moves its time)"),
        (max(present) if len(present) == 3 else None, "approach and limitations notes saved, a run measured"),
    ]
    return [(t, what) if ok and t is not None else (None, "") for ok, (t, what) in zip(done, found, strict=True)]


def phases(ev: Events, note_times: dict[str, datetime]) -> list[Phase]:
    """The five milestone phases with start and end times from recorded events only.

    A phase ends at the event that reached its milestone and starts at the latest event among the milestones before
    it that were reached; the first phase has no recorded start. The current phase is the first milestone not yet
    reached; milestones after it that are not reached have not started."""
    times = milestone_times(ev, note_times)
    out: list[Phase] = []
    current_seen = False
    ms = milestones(ev)
    names, hows = [m.name for m in ms], [m.how for m in ms]
    for i, (end, what) in enumerate(times):
        earlier = [(t, names[j]) for j, (t, _) in enumerate(times[:i]) if t is not None]
        start, start_from = max(earlier, key=lambda x: x[0]) if earlier else (None, "")
        start_from = f"'{start_from}' reached" if start else "no recorded start"
        if end is not None:
            status = "done"
        elif not current_seen:
            status, current_seen = "current", True
        else:
            status, start, start_from = "not started", None, "not started"
        out.append(Phase(names[i], status, start, end, start_from, what, hows[i]))
    return out


def current_phase(ps: list[Phase]) -> Phase | None:
    """The phase in progress (None when every milestone is reached)."""
    return next((p for p in ps if p.status == "current"), None)


def format_duration(d: timedelta | None) -> str:
    """A duration in minutes, hours or days, as a reader would say it."""
    if d is None:
        return "unknown"
    s = d.total_seconds()
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


@dataclass(frozen=True)
class TimedEvent:
    at: datetime
    kind: str
    label: str


def event_log(ev: Events, note_times: dict[str, datetime], badges: dict | None = None) -> list[TimedEvent]:
    """Every time-stamped capstone event of the learner, oldest first. `badges`: badge id -> store.BadgeRecord."""
    out = [TimedEvent(as_utc(t), "note saved", f"note '{k}'") for k, t in note_times.items()]
    out += [TimedEvent(as_utc(r.created_at), "run saved", f"run '{r.title}' ({r.steps} steps)") for r in ev.runs]
    for r in ev.results:
        out.append(TimedEvent(as_utc(r.evaluated_at), "run measured", f"'{r.title}' measured"))
        if r.submitted_at is not None:
            out.append(TimedEvent(as_utc(r.submitted_at), "leaderboard", f"'{r.title}' submitted ({r.category})"))
    out += [TimedEvent(as_utc(s.created_at), "sample shared", f"sample #{s.id} shared") for s in ev.samples]
    out += [TimedEvent(as_utc(f.created_at), "neuron finding", f"neuron {f.neuron} ~ {f.feature}")
            for f in ev.findings]
    out += [TimedEvent(as_utc(b.awarded_at), "badge", f"badge '{bid}'") for bid, b in (badges or {}).items()]
    return sorted(out, key=lambda e: e.at)
