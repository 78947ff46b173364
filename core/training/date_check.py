"""Is a dates translation trustworthy? Checks that need no right answer: the model's own probability for what it
wrote, pieces that are not calendar dates, years or day numbers that are nowhere in the input, and date-like spans
of the input that no output date accounts for. `core.training.seq2seq.translate` attaches a `Check` to every answer;
Modules 6 and 7 show a flagged answer as a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.data import tasks

UNSURE_PROB = 0.5  # below this sequence probability the answer is shown as a guess
_MONTH_RE = "|".join([*tasks.MONTHS, "Sept", *(m[:3] for m in tasks.MONTHS)])  # longest first, whole words
_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
# Date-like spans: numbers with / . - separators, 8-digit YYYYMMDD, and a month name with a year within a few words.
_DATE_LIKE = re.compile(
    r"\b(?:\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(?:\d{2})?)\b|"
    rf"\b{_YEAR}[01]\d[0-3]\d\b|"
    rf"(?:\b\d{{1,2}}(?:st|nd|rd|th)?[\s\-]+(?:of\s+)?)?\b(?:{_MONTH_RE})\b\.?"
    rf"(?:[\s,\-]+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)?(?:[\s,\-]|to|until)+"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?[\s,]+)?(?:{_YEAR}|'\d{{2}})\b", re.IGNORECASE)


# A day number that opens a range just before a date ("5 to 9 May 2023", "the 1st to the 15th of August 2022").
_RANGE_START = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?(?:\s+(?:of\s+)?[a-z]{3,9}\.?)?\s*"
                          r"(?:-|to|until|till|through|and)\s*(?:the\s+)?$", re.IGNORECASE)
_RANGE_INSIDE = re.compile(r"\d(?:st|nd|rd|th)?\s*(?:-|to|until|till|through)\s*\d{1,2}(?:st|nd|rd|th)?\b"
                           r"(?!\s*[/.\-]\d)", re.IGNORECASE)


@dataclass
class Check:
    """Why an answer may be wrong, found without knowing the right answer."""

    probability: float  # product of the probabilities of the characters the model chose (greedy), 0-1
    invalid: list[str]  # output pieces that are not calendar dates (2021-02-30, 2021-1-5, ...)
    unsupported: list[str]  # output dates whose year or day number does not occur in the input
    unused: list[str]  # date-like spans of the input that no output date accounts for
    reasons: list[str]  # one sentence per problem, for the learner
    extra: int = 0  # how many more dates the answer has than the input seems to hold

    @property
    def unsure(self) -> bool:
        return bool(self.reasons)


def date_like_spans(text: str) -> list[str]:
    """Pieces of `text` that look like a full date (day, month and year), by a rule independent of the model."""
    return [m.group(0).strip(" ,-") for m in _DATE_LIKE.finditer(text)]


def expected_dates(text: str) -> int:
    """How many dates `text` seems to hold: one per date-like span, two for a span that is a range of days
    ("10-12 October 2019", "5 to 9 May 2023")."""
    n = 0
    for m in _DATE_LIKE.finditer(text):
        span = m.group(0)
        has_month = any(re.search(rf"\b{mo[:3]}", span, re.IGNORECASE) for mo in tasks.MONTHS)
        ranged = bool(_RANGE_START.search(text[: m.start()])) or (has_month and bool(_RANGE_INSIDE.search(span)))
        n += 2 if ranged else 1
    return n


def _span_readings(span: str) -> tuple[set[int], set[int], set[int]]:
    """Years, months and days a date-like span could mean (generous: every reading of its numbers; no days
    when the span holds none besides the year)."""
    years = {int(y) for y in re.findall(rf"(?<!\d){_YEAR}", span)}
    years |= {1900 + int(y) if int(y) >= 50 else 2000 + int(y) for y in re.findall(r"(?<![\d'])\d{2}$", span)}
    years |= {1900 + int(y) if int(y) >= 50 else 2000 + int(y) for y in re.findall(r"'(\d{2})\b", span)}
    months = {i + 1 for i, m in enumerate(tasks.MONTHS) if re.search(rf"\b{m[:3]}", span, re.IGNORECASE)}
    nums = [int(x) for x in re.findall(r"\d+", span)]
    if re.fullmatch(rf"{_YEAR}\d{{4}}", span):
        return years, {int(span[4:6])}, {int(span[6:8])}
    if not months:
        months |= {n for n in nums[:3] if 1 <= n <= 12}
    # A two-digit year ("5/17/84") is not a day; a number that occurs twice ("12.12.12") may be both.
    short_years = {y % 100 for y in years}
    days = {n for n in nums if 1 <= n <= 31 and (n not in short_years or nums.count(n) > 1 or len(nums) > 2)}
    return years, months, days


def check_answer(text: str, output: str, probability: float) -> Check:
    """Flags an answer that should not be presented as the answer: low probability, a piece that is not a valid
    date, a date whose year or day is nowhere in the input, or a date-like span of the input left unused."""
    pieces = [p for p in output.split(" ") if p]
    invalid = [p for p in pieces if not _valid_iso(p)]
    valid = [dt.date.fromisoformat(p) for p in pieces if p not in invalid]
    numbers = {int(n) for n in re.findall(r"\d+", text)}
    compact = set(re.findall(r"\d{8}", text))
    unsupported = []
    for d in valid:
        if d.strftime("%Y%m%d") in compact:
            continue
        year_ok = d.year in numbers or (d.year % 100) in numbers
        if not (year_ok and d.day in numbers):
            unsupported.append(d.isoformat())
    unused, taken = [], set()
    for span in date_like_spans(text):  # each date-like span needs an output date of its own that fits it
        years, months, days = _span_readings(span)
        fits = [i for i, d in enumerate(valid)
                if d.year in years and d.month in months and (not days or d.day in days) and i not in taken]
        if fits:
            taken.add(fits[0])
        else:
            unused.append(span)
    extra = max(0, len(pieces) - expected_dates(text))
    reasons = []
    if probability < UNSURE_PROB:
        reasons.append(f"The model gives its own answer a probability of only {probability:.0%}.")
    if invalid:
        shown = ", ".join(p if len(p) <= 12 else p[:10] + "..." for p in invalid)
        reasons.append(f"{shown} is not a valid calendar date.")
    if unsupported:
        reasons.append(f"{', '.join(unsupported)}: that year or day number does not appear in the input.")
    if unused:
        reasons.append("The input seems to contain a date the answer does not include: "
                       + ", ".join(f"'{u}'" for u in unused) + ".")
    if extra and len(pieces) > 1:
        reasons.append(f"The answer has {len(pieces)} dates but the input seems to hold "
                       f"{len(pieces) - extra}: one may be invented or written twice.")
    if not pieces:
        reasons.append("The model wrote no date at all.")
    return Check(probability, invalid, unsupported, unused, reasons, extra)


def _valid_iso(s: str) -> bool:
    try:
        dt.date.fromisoformat(s)
        return len(s) == 10
    except ValueError:
        return False
