"""Synthetic tasks that make RNN limits measurable: date normalisation (many human formats -> ISO, with a long
split of several dates buried in distractor text) and a long-range recall task with a controllable cue-target gap.
Everything is generated from a seed, so any test set can be re-drawn fresh and identically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import string
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"


class TokenVocab:
    """Characters <-> ids with special tokens first (id 0 is always <pad>). Unknown characters map to <unk>."""

    def __init__(self, chars: Iterable[str], specials: Iterable[str] = (PAD, UNK)) -> None:
        self.specials = list(specials)
        self.chars = [c for c in dict.fromkeys(chars) if c not in self.specials]
        self.tokens = self.specials + self.chars
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.pad = self.index[PAD]
        self.unk = self.index.get(UNK)
        self.sos = self.index.get(SOS)
        self.eos = self.index.get(EOS)

    def __len__(self) -> int:
        return len(self.tokens)

    def unknown(self, text: str) -> list[str]:
        return list(dict.fromkeys(ch for ch in text if ch not in self.index))

    def encode(self, text: str) -> list[int]:
        if self.unk is None:
            missing = self.unknown(text)
            if missing:
                raise ValueError(f"Characters not in the vocabulary: {''.join(missing)!r}.")
        return [self.index.get(ch, self.unk) for ch in text]

    def decode(self, ids: Iterable[int], stop_at_eos: bool = True) -> str:
        out = []
        for i in ids:
            i = int(i)
            if stop_at_eos and i == self.eos:
                break
            if i >= len(self.specials):
                out.append(self.tokens[i])
        return "".join(out)

    def to_list(self) -> list[str]:
        return list(self.tokens)

    @classmethod
    def from_list(cls, tokens: list[str]) -> TokenVocab:
        specials = [t for t in tokens if len(t) > 1]
        return cls([t for t in tokens if len(t) == 1], specials)


# ---------------------------------------------------------------- dates
SOURCE_CHARS = string.ascii_letters + string.digits + " ,.;:/-#'()!?&"
SRC_VOCAB = TokenVocab(SOURCE_CHARS, (PAD, UNK))
TGT_VOCAB = TokenVocab("0123456789- ", (PAD, SOS, EOS))
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST_DAY, N_DAYS = dt.date(1950, 1, 1), (dt.date(2049, 12, 31) - dt.date(1950, 1, 1)).days + 1
MAX_DATES = 5
MAX_SOURCE_LEN = 400  # generated memos stay under ~340 characters; longer learner input is cut here
MAX_TARGET_LEN = MAX_DATES * 11  # "YYYY-MM-DD" + a space per date (the last one has <eos> instead)


def ordinal(d: int) -> str:
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


def _fields(d: dt.date) -> dict[str, str]:
    month, weekday = MONTHS[d.month - 1], WEEKDAYS[d.weekday()]
    return {"Month": month, "Mon": month[:3], "Weekday": weekday, "Wkd": weekday[:3], "d": str(d.day),
            "dd": f"{d.day:02d}", "dth": ordinal(d.day), "m": str(d.month), "mm": f"{d.month:02d}",
            "Y": str(d.year), "yy": f"{d.year % 100:02d}"}


# Two-digit years mean 1950-2049 (the whole range); slashes are always US month/day, dots European day.month.
FORMATS = [
    "{Month} {d}, {Y}", "{Mon} {d}, {Y}", "{d} {Month} {Y}", "{d} {Mon} {Y}", "{m}/{d}/{yy}", "{m}/{d}/{Y}",
    "{mm}/{dd}/{Y}", "{dd}.{mm}.{Y}", "{Y}/{mm}/{dd}", "{Weekday}, the {dth} of {Month} {Y}",
    "{Wkd}, {Mon} {d} {Y}", "{Month} {dth}, {Y}", "the {dth} of {Month}, {Y}", "{dd}-{Mon}-{Y}", "{Y}{mm}{dd}",
    "{Weekday} {Month} {d}, {Y}", "{Y}-{m}-{d}", "{Mon}. {d}, {Y}", "{d}.{m}.{yy}", "{Month} {d} {Y}",
]


def render(d: dt.date, fmt: str, case: str = "as is") -> str:
    text = fmt.format(**_fields(d))
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


def is_test_date(d: dt.date) -> bool:
    """One date in ten is held out: training never sees it in any format, tests only use these."""
    return hashlib.md5(d.isoformat().encode()).digest()[0] % 10 == 0


def random_date(rng: random.Random, split: str) -> dt.date:
    want_test = split == "test"
    while True:
        d = FIRST_DAY + dt.timedelta(days=rng.randrange(N_DAYS))
        if is_test_date(d) == want_test:
            return d


CASES, CASE_WEIGHTS = ["as is", "lower", "upper"], [0.8, 0.12, 0.08]


def random_date_text(rng: random.Random, d: dt.date) -> str:
    case = rng.choices(CASES, CASE_WEIGHTS)[0]
    return render(d, rng.choice(FORMATS), case)


_SUBJECTS = ["the committee", "our client", "the supplier", "Dr. Alvarez", "the board", "the tenant", "a courier",
             "the auditor", "Ms. Okafor", "the vendor", "the team in Lyon", "the landlord", "the registrar"]
_VERBS = ["reviewed the file", "sent a reminder", "asked for changes", "approved the budget", "raised a concern",
          "filed the paperwork", "called twice", "signed the lease", "updated the draft", "replied by email",
          "paid in full", "requested a copy", "closed the ticket", "moved the meeting"]
_FILLER = ["Please keep this note for your records.", "Nothing else changed.", "See the attached summary.",
           "The usual terms apply.", "Questions go to the front desk.", "All figures are final.",
           "This replaces the earlier message.", "No action is needed from you.", "Thanks again for waiting."]
_DATE_FRAMES = ["on {}", "by {}", "dated {}", "as of {}", "since {}", "before {}", "effective {}", "due {}"]


def _number_noise(rng: random.Random) -> str:
    return rng.choice([f"invoice #{rng.randint(100, 9999)}", f"room {rng.randint(1, 40)}",
                       f"{rng.randint(2, 12)} boxes", f"order {rng.randint(1000, 99999)}", f"page {rng.randint(1, 300)}"])


def _date_sentence(rng: random.Random, date_text: str) -> str:
    s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_DATE_FRAMES).format(date_text)}"
    if rng.random() < 0.35:
        s += f" ({_number_noise(rng)})"
    return s[0].upper() + s[1:] + "."


def _filler_sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(_FILLER)
    s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)}"
    if rng.random() < 0.4:
        s += f", see {_number_noise(rng)}"
    return s[0].upper() + s[1:] + "."


@dataclass(frozen=True)
class DatePair:
    source: str
    target: str
    n_dates: int
    fmt: str = ""  # the format of a single-date example
    spans: tuple[tuple[int, int], ...] = ()  # where each date's text sits in source, in target order


def short_example(rng: random.Random, split: str = "train") -> DatePair:
    """One date alone, in one of the formats: the "all formats" task."""
    d = random_date(rng, split)
    case = rng.choices(CASES, CASE_WEIGHTS)[0]
    fmt = rng.choice(FORMATS)
    text = render(d, fmt, case)
    return DatePair(text, d.isoformat(), 1, fmt, ((0, len(text)),))


def long_example(rng: random.Random, target_len: int, split: str = "train") -> DatePair:
    """A memo of about `target_len` characters with 1-5 dates in distractor sentences (more text, more dates);
    the target lists every date in order of appearance, ISO, separated by spaces."""
    n_dates = max(1, min(MAX_DATES, target_len // 50 + rng.randint(0, 1)))
    dates = [random_date(rng, split) for _ in range(n_dates)]
    date_texts = [random_date_text(rng, d) for d in dates]
    parts = [(_date_sentence(rng, t), t) for t in date_texts]  # (sentence, its date text or "")
    while sum(len(s) + 1 for s, _ in parts) < target_len:
        parts.insert(rng.randint(0, len(parts)), (_filler_sentence(rng), ""))
    # Drop filler (never a date sentence) while over budget, so lengths follow target_len closely.
    while sum(len(s) + 1 for s, _ in parts) > target_len + 20 and any(not t for _, t in parts):
        parts.pop(rng.choice([i for i, (_, t) in enumerate(parts) if not t]))
    text, spans = "", []
    for sentence, date_text in parts:
        text += (" " if text else "") + sentence
        if date_text:
            start = len(text) - len(sentence) + sentence.index(date_text)
            spans.append((start, start + len(date_text)))
    return DatePair(text, " ".join(d.isoformat() for d in dates), n_dates, "", tuple(spans))


# ---------------------------------------------------------------- natural phrasing (what people type)
# Running text also uses these spellings (not counted among FORMATS, whose per-format scores the pages show).
RUNNING_FORMATS = FORMATS + ["{dth} of {Month} {Y}", "the {dth} of {Month} {Y}", "{Month} {dth} {Y}",
                             "{d} {Month}, {Y}", "{Mon} {d} {Y}", "{dth} {Month} {Y}", "{Weekday}, {Month} {d}, {Y}",
                             "{Wkd} {d} {Mon} {Y}", "{Month} the {dth}, {Y}", "{d}-{Mon}-{Y}"]
_EVENTS = ["kickoff", "the audit", "payday", "check-in", "the final exam", "launch", "dentist", "rent due",
           "team lunch", "the flight", "warranty ends", "board meeting", "the wedding", "invoice sent",
           "contract signed", "move-in", "the interview", "surgery", "graduation", "the review", "trial ends",
           "first payment", "last shift", "delivery", "renewal", "hearing", "open house", "pickup"]
_LABELS = ["Delivery window", "Booking", "Stay", "Sprint", "Term", "Leave", "Coverage", "Period", "Trip", "Exhibit",
           "Rental", "Promo", "Trial", "Vacation", "Contract", "Valid", "Course", "Season", "Notice period"]
_SINGLE_PRE = ["Paid", "Renewed", "Born", "Due", "Signed", "Posted", "Started", "Expires", "Joined", "Shipped",
               "Opened", "Closed", "Updated", "Filed", "Received", "Married", "Hired", "Released", "Returned",
               "Booked for", "Next visit", "Deadline:", "Deadline", "Updated on", "Last seen", "RE:", "Re:",
               "Note -", "Reminder:", "Due by", "Starts", "Ends", "Effective", "As of", "Since", "Until"]
_TWO_VERBS = [("Renewed {} and again {}", ""), ("Paid {} and {}", ""), ("Moved from {} to {}", ""),
              ("Meeting moved from {} to {}", ""), ("Rescheduled from {} to {}", ""), ("Pushed {} to {}", ""),
              ("Postponed from {} to {}", ""), ("Changed the date from {} to {}", ""),
              ("{} was moved to {}", ""), ("Opened {}, closed {}", ""), ("Bought {}, returned {}", ""),
              ("Issued {}, expires {}", ""), ("Started {} and finished {}", ""), ("Born {}, died {}", ""),
              ("Applied {}; accepted {}", ""), ("Sent {} and answered {}", ""), ("First visit {}, second {}", ""),
              ("Check-in {}, check-out {}", ""), ("Ordered {} - arrived {}", ""), ("Not {} but {}", "")]
_RANGE_JOIN = [" - ", " - ", "-", " to ", " to ", " until ", " till ", " through ", " thru ", " and "]
_RANGE_FRAME = ["{label}: {r}", "{label} {r}", "{r}", "From {a} to {b}", "from {a} until {b}", "Between {a} and {b}",
                "{label}: from {a} to {b}", "Closed {r}", "Away {r}", "{label} ({r})", "We stayed {r}",
                "Valid {r}", "Available {r}", "{label} runs {a} to {b}", "{label} runs from {a} until {b}"]
_LIST_INTRO = ["Dates:", "Dates to remember:", "Sessions on", "Classes:", "Visits:", "Payments on", "Open days:",
               "Meetings", "Key dates -", "Deadlines:", "Shifts:", "Holidays:", "Appointments:", "Milestones:", ""]
_GREET = ["", "", "", "Hi! ", "Hey, ", "FYI ", "ok so ", "Quick note: ", "PS ", "NB: ", "Update: ", "Heads up - "]


def _number_bit(rng: random.Random) -> str:
    """Other numbers that sit near dates in real text: money, times, ids, counts, versions, years alone."""
    n = rng.randint
    return rng.choice([
        f"${n(1, 999)}.{n(0, 99):02d}", f"${n(1, 9)},{n(0, 999):03d}", f"{n(10, 5000)} EUR", f"USD {n(5, 900)}",
        f"at {n(1, 12)}:{rng.choice(['00', '15', '30', '45'])}", f"at {n(0, 23):02d}:{n(0, 59):02d}",
        f"at {n(1, 12)}{rng.choice(['am', 'pm', ' am', ' pm'])}", f"invoice #{n(100, 99999)}", f"ref {n(1000, 99999)}",
        f"order {n(1000, 99999)}", f"room {n(1, 450)}", f"{n(2, 30)} items", f"{n(2, 14)} nights",
        f"{n(2, 90)} min", f"v{n(1, 9)}.{n(0, 20)}", f"version {n(1, 12)}.{n(0, 9)}", f"ticket {n(100, 99999)}",
        f"tel {n(200, 999)}-{n(1000, 9999)}", f"{n(1, 99)}%", f"page {n(1, 400)}", f"gate {rng.choice('ABCDE')}{n(1, 40)}",
        f"{n(1, 9)}x", f"no. {n(1, 99)}", f"{n(1, 20)},{n(0, 999):03d} units", f"flight {rng.choice(['LH', 'BA', 'AF', 'UA'])}{n(10, 999)}",
        f"score {n(0, 5)}-{n(0, 5)}", f"apt {n(1, 40)}{rng.choice('ABCD')}", f"since the {n(1950, 2049) // 10 * 10}s",
        f"in {n(1950, 2049)}", f"batch {n(1, 99)}", f"{n(1, 5)} of {n(5, 9)}", f"seat {n(1, 40)}{rng.choice('ABCDEF')}",
    ])


def _running_text(rng: random.Random, d: dt.date, case: str) -> str:
    return render(d, rng.choice(RUNNING_FORMATS), case)


def _same_month_pair(rng: random.Random, split: str) -> tuple[dt.date, dt.date] | None:
    """Two dates of one month, the first earlier (for "3-10 May 2022"), both in `split`; None if none found."""
    for _ in range(20):
        a = random_date(rng, split)
        later = [a.replace(day=k) for k in range(a.day + 1, 32) if _valid_day(a, k)]
        later = [b for b in later if is_test_date(b) == (split == "test")]
        if later:
            return a, rng.choice(later[:14])
    return None


def _valid_day(a: dt.date, k: int) -> bool:
    try:
        a.replace(day=k)
        return True
    except ValueError:
        return False


def _compact_range(rng: random.Random, a: dt.date, b: dt.date, case: str) -> str:
    """Both dates written with the month and year once: "3-10 May 2022", "May 3 to 10, 2022"."""
    fa, fb = _fields(a), _fields(b)
    j = rng.choice(["-", " - ", " to ", " until ", "-"])
    mon = rng.choice(["Month", "Month", "Mon"])
    text = rng.choice([
        f"{fa['d']}{j}{fb['d']} {fa[mon]} {fa['Y']}", f"{fa[mon]} {fa['d']}{j}{fb['d']}, {fa['Y']}",
        f"{fa['dth']}{j}{fb['dth']} {fa[mon]} {fa['Y']}", f"from the {fa['dth']} to the {fb['dth']} of {fa['Month']} {fa['Y']}",
        f"{fa[mon]} {fa['dth']}{j}{fb['dth']}, {fa['Y']}", f"{fa['d']} {fa[mon]}{j}{fb['d']} {fb[mon]} {fa['Y']}"
        if a.month == b.month else f"{fa['d']}{j}{fb['d']} {fa[mon]} {fa['Y']}",
    ])
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


def natural_example(rng: random.Random, split: str = "train") -> DatePair:
    """One short piece of natural text with 1-5 dates, the way people write them: several dates in a sentence,
    ranges (' - ', 'to', 'until', '3-10 May 2022'), lists, notes and headings, parentheses, ordinals and other
    numbers nearby (money, times, ids). Target: every date in order of appearance, as in the memos."""
    case = rng.choices(CASES, [0.85, 0.11, 0.04])[0]
    kind = rng.choices(["single", "two", "range", "compact", "list", "events"], [0.2, 0.2, 0.2, 0.1, 0.15, 0.15])[0]
    if kind == "compact":
        pair = _same_month_pair(rng, split)
        if pair is not None:
            a, b = pair
            r = _compact_range(rng, a, b, case)
            label = rng.choice(_LABELS)
            text = rng.choice([f"{label}: {r}", f"{label} {r}", r, f"{label} ({r})", f"We're away {r}",
                               f"Closed {r}.", f"{r}: {rng.choice(_EVENTS)}"])
            return _finish(rng, text, [a, b], case)
        kind = "range"
    if kind == "single":
        d = random_date(rng, split)
        t = _running_text(rng, d, case)
        pre = rng.choice(_SINGLE_PRE)
        text = rng.choice([f"{pre} {t}", f"{pre} {t}.", f"{pre} {t}!", f"{t}", f"{t}: {rng.choice(_EVENTS)}",
                           f"{rng.choice(_EVENTS).capitalize()} ({t})", f"{rng.choice(_EVENTS).capitalize()} on {t}",
                           f"Can we do {t}?", f"Is {t} ok?", f"{rng.choice(_EVENTS).capitalize()} - {t}",
                           f"Minutes, {t}", f"{rng.choice(_LABELS)} starts {t}."])
        return _finish(rng, text, [d], case)
    if kind == "two":
        a, b = random_date(rng, split), random_date(rng, split)
        frame = rng.choice(_TWO_VERBS)[0]
        return _finish(rng, frame.format(_running_text(rng, a, case), _running_text(rng, b, case)), [a, b], case)
    if kind == "range":
        a, b = sorted([random_date(rng, split), random_date(rng, split)]) if rng.random() < 0.8 else \
            (random_date(rng, split), random_date(rng, split))
        ta, tb = _running_text(rng, a, case), _running_text(rng, b, case)
        if rng.random() < 0.5:  # one spelling for both ends, as people usually do
            fmt = rng.choice(RUNNING_FORMATS)
            ta, tb = render(a, fmt, case), render(b, fmt, case)
        frame = rng.choice(_RANGE_FRAME)
        text = frame.format(label=rng.choice(_LABELS), r=ta + rng.choice(_RANGE_JOIN) + tb, a=ta, b=tb)
        return _finish(rng, text, [a, b], case)
    n = rng.randint(2, MAX_DATES) if kind == "list" else rng.randint(2, 4)
    dates = [random_date(rng, split) for _ in range(n)]
    if rng.random() < 0.5:
        dates.sort()
    fmt = rng.choice(RUNNING_FORMATS) if rng.random() < 0.6 else None
    texts = [render(d, fmt, case) if fmt else _running_text(rng, d, case) for d in dates]
    if kind == "list":
        sep = rng.choice([", ", "; ", " / ", ", ", " and "])
        body = sep.join(texts[:-1]) + rng.choice([" and ", ", ", ", and ", " or ", sep]) + texts[-1]
        if rng.random() < 0.2:
            body = " ".join(f"{i + 1}) {t}" for i, t in enumerate(texts))
        return _finish(rng, f"{rng.choice(_LIST_INTRO)} {body}".strip(), dates, case)
    events = rng.sample(_EVENTS, n)
    joiner = rng.choice([". ", "; ", ", ", " | "])
    style = rng.choice(["{e}: {t}", "{e} {t}", "{e} on {t}", "{t} {e}", "{e} ({t})"])
    parts = [style.format(e=e.capitalize() if joiner == ". " or i == 0 else e, t=t)
             for i, (e, t) in enumerate(zip(events, texts, strict=True))]
    return _finish(rng, joiner.join(parts), dates, case)


def _finish(rng: random.Random, text: str, dates: list[dt.date], case: str) -> DatePair:
    """Add a greeting, numbers nearby and end punctuation at random; the case of the whole text follows `case`."""
    if rng.random() < 0.45:
        bit = _number_bit(rng)
        text = rng.choice([f"{text} ({bit})", f"{text}, {bit}", f"{bit.capitalize()}: {text}", f"{text} - {bit}",
                           f"{text} {bit}"])
    if rng.random() < 0.15:
        text += ", " + _number_bit(rng)
    text = rng.choice(_GREET) + text
    if text[-1] not in ".!?)" and rng.random() < 0.4:
        text += rng.choice([".", ".", "!", "?"])
    text = text[0].upper() + text[1:] if case == "as is" else text.lower() if case == "lower" else text.upper()
    return DatePair(text, " ".join(d.isoformat() for d in dates), len(dates), "", ())


LONG_LEN = (30, 250)
LONG_SPLIT_MIN = 100  # "the long split": memos of 100-270 characters with 2-5 dates


def date_dataset(n: int, seed: int, split: str = "test", kind: str = "short",
                 length: tuple[int, int] = LONG_LEN) -> list[DatePair]:
    """n fresh examples. kind: "short" (one date, all formats), "long" (memos, lengths drawn from `length`) or
    "natural" (short natural text with 1-5 dates: ranges, lists, notes, numbers nearby)."""
    rng = random.Random(f"dates-{kind}-{split}-{seed}")
    if kind == "short":
        return [short_example(rng, split) for _ in range(n)]
    if kind == "long":
        return [long_example(rng, rng.randint(*length), split) for _ in range(n)]
    if kind == "natural":
        return [natural_example(rng, split) for _ in range(n)]
    raise ValueError(f"kind must be 'short', 'long' or 'natural', got {kind!r}.")


def encode_pairs(pairs: list[DatePair]) -> tuple[Tensor, Tensor, Tensor]:
    """(src (B, S) padded, src_len (B,), tgt (B, T+1) = target + <eos>, padded)."""
    src = [SRC_VOCAB.encode(p.source[:MAX_SOURCE_LEN]) or [SRC_VOCAB.unk] for p in pairs]
    tgt = [TGT_VOCAB.encode(p.target) + [TGT_VOCAB.eos] for p in pairs]
    S, T = max(map(len, src)), max(map(len, tgt))
    src_t = torch.full((len(pairs), S), SRC_VOCAB.pad, dtype=torch.long)
    tgt_t = torch.full((len(pairs), T), TGT_VOCAB.pad, dtype=torch.long)
    for i, (s, t) in enumerate(zip(src, tgt, strict=True)):
        src_t[i, : len(s)] = torch.tensor(s)
        tgt_t[i, : len(t)] = torch.tensor(t)
    return src_t, torch.tensor([len(s) for s in src]), tgt_t


def training_batch(step: int, batch: int, long_batch: int, seed: int, long_fraction: float = 0.5,
                   natural_fraction: float = 0.0, natural_batch: int = 48) -> list[DatePair]:
    """Batch `step` of the training stream (a pure function of step and seed, so runs resume exactly). Each batch
    is all-short (`batch` dates), all-long (`long_batch` memos of similar length) or, with probability
    `natural_fraction`, all natural text (`natural_batch` pieces), so padding stays small. With
    natural_fraction 0 the stream is the one the first checkpoints were trained on."""
    rng = random.Random(f"dates-train-{seed}-{step}")
    if natural_fraction > 0 and rng.random() < natural_fraction:
        return [natural_example(rng, "train") for _ in range(natural_batch)]
    if rng.random() < long_fraction:
        lo = rng.randint(*LONG_LEN)
        hi = min(LONG_LEN[1], lo + 30)
        return [long_example(rng, rng.randint(lo, hi), "train") for _ in range(long_batch)]
    return [short_example(rng, "train") for _ in range(batch)]


LENGTH_BUCKETS = [(0, 20), (20, 40), (40, 80), (80, 120), (120, 160), (160, 200), (200, 250), (250, 330)]


def bucket_of(n: int) -> str:
    for lo, hi in LENGTH_BUCKETS:
        if lo <= n < hi:
            return f"{lo}-{hi}"
    return f"{LENGTH_BUCKETS[-1][1]}+"


def check_learner_text(text: object, limit: int = MAX_SOURCE_LEN) -> tuple[str, list[str]]:
    """(text the model will read, notes for the learner). Never raises: unknown characters become <unk>."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    notes: list[str] = []
    text = text.replace("\n", " ").replace("\t", " ")
    if not text.strip():
        return "", ["Type a date (for example 'March 14, 2024') or a sentence that contains dates."]
    if len(text) > limit:
        notes.append(f"Only the first {limit} characters are read (you typed {len(text)}); the models were "
                     f"trained on inputs up to about {LONG_LEN[1] + 20}.")
        text = text[:limit]
    unknown = SRC_VOCAB.unknown(text)
    if unknown:
        shown = "".join(unknown[:12])
        notes.append(f"{len(unknown)} character(s) the model never saw ({shown!r}) are read as the unknown token.")
    if text.strip().isdigit() and len(text.strip()) != 8:
        notes.append("Digits alone are ambiguous; the model was trained on 8-digit YYYYMMDD for this case.")
    return text, notes


# ---------------------------------------------------------------- long-range recall
CUES = "ABCD"  # the "subject" the model must carry across the gap; chance is 1 / len(CUES)
DISTRACTORS = "abcdefghijklmnopqrstuvwxyz"
RECALL_VOCAB = TokenVocab(CUES + DISTRACTORS + "?", (PAD, UNK))
ATTRACTORS = 0.1  # share of distractor positions that hold another cue letter


def recall_batch(batch: int, distance: int, generator: torch.Generator,
                 attractors: float = ATTRACTORS) -> tuple[Tensor, Tensor]:
    """(x (B, distance + 2), y (B,)): a cue, `distance` distractors, then '?'; y is the class of the FIRST cue.
    Like subject-verb agreement across a clause with attractor nouns: each distractor is another cue letter
    with probability `attractors` (which a model must not let overwrite what it holds), else a letter a-z."""
    if distance < 0:
        raise ValueError(f"distance must be >= 0, got {distance}.")
    y = torch.randint(len(CUES), (batch,), generator=generator)  # (B,)
    cue_ids = torch.tensor([RECALL_VOCAB.index[c] for c in CUES])
    noise_ids = torch.tensor([RECALL_VOCAB.index[c] for c in DISTRACTORS])
    noise = noise_ids[torch.randint(len(DISTRACTORS), (batch, distance), generator=generator)]  # (B, d)
    is_attractor = torch.rand(batch, distance, generator=generator) < attractors
    attractor = cue_ids[torch.randint(len(CUES), (batch, distance), generator=generator)]
    noise = torch.where(is_attractor, attractor, noise)
    query = torch.full((batch, 1), RECALL_VOCAB.index["?"])
    return torch.cat([cue_ids[y][:, None], noise, query], dim=1), y


def recall_text(x: Tensor) -> str:
    return RECALL_VOCAB.decode(x.tolist())

