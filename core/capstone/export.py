"""Capstone downloads built from a learner's real records: the project presentation (Markdown or a self-contained
HTML page with an SVG loss curve) and the completion certificate (PDF, fpdf2)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos


@dataclass(frozen=True)
class Presentation:
    learner: str
    project: str  # template title, or "" when none was chosen
    run_title: str
    corpus: str
    config: dict  # model config
    train_config: dict  # training settings saved with the run ({} when unknown)
    steps: int
    train_curve: list[tuple[int, float]]  # (step, nats/char)
    val_curve: list[tuple[int, float]]
    loss: float | None  # server-measured held-out loss, nats/char
    chars: int
    unigram_perplexity: float | None
    samples: list[str]
    findings: list[tuple[int, str, float, str]] = field(default_factory=list)  # (neuron, feature, r, label)
    notes: dict[str, str] = field(default_factory=dict)  # approach / decisions / limitations


NOTE_TITLES = {"approach": "Approach", "decisions": "Decisions and what I tried", "limitations": "Limitations and next steps"}


def _metrics(p: Presentation) -> list[tuple[str, str]]:
    if p.loss is None:
        return [("Held-out perplexity", "not measured yet")]
    rows = [("Held-out loss", f"{p.loss:.4f} nats/char"), ("Held-out perplexity", f"{math.exp(p.loss):.3f}"),
            ("Bits per character", f"{p.loss / math.log(2):.3f}"), ("Characters scored", f"{p.chars:,}")]
    if p.unigram_perplexity:
        rows.append(("Character-frequency baseline perplexity", f"{p.unigram_perplexity:.3f}"))
    return rows


def _thin(curve: list[tuple[int, float]], n: int = 12) -> list[tuple[int, float]]:
    if len(curve) <= n:
        return curve
    idx = sorted({round(i * (len(curve) - 1) / (n - 1)) for i in range(n)})
    return [curve[i] for i in idx]


def presentation_markdown(p: Presentation) -> str:
    out = [f"# {p.run_title}", "", f"*Capstone project by {p.learner}*" + (f" · {p.project}" if p.project else ""), ""]
    for key, title in NOTE_TITLES.items():
        if p.notes.get(key, "").strip():
            out += [f"## {title}", "", p.notes[key].strip(), ""]
    out += ["## Setup", "", f"- Data: `{p.corpus}`", f"- Training steps: {p.steps:,}"]
    out += [f"- Model `{k}`: {v}" for k, v in p.config.items()]
    out += [f"- Training `{k}`: {v}" for k, v in p.train_config.items()]
    out += ["", "## Results (measured by the course server on the held-out split)", "", "| metric | value |",
            "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in _metrics(p)]
    if p.val_curve or p.train_curve:
        out += ["", "## Learning curve", "", "| step | train loss | validation loss |", "|---|---|---|"]
        train = dict(p.train_curve)
        steps = [s for s, _ in _thin(p.val_curve)] or [s for s, _ in _thin(p.train_curve)]
        val = dict(p.val_curve)
        out += [f"| {s} | {train[s]:.3f} | {val[s]:.3f} |" if s in train and s in val else
                f"| {s} | {train.get(s, float('nan')):.3f} | {val.get(s, float('nan')):.3f} |" for s in steps]
    if p.samples:
        out += ["", "## Samples"]
        for i, text in enumerate(p.samples, 1):
            out += ["", f"Sample {i}:", "", "```text", text.replace("```", "'''"), "```"]
    if p.findings:
        out += ["", "## Neurons I identified", "", "| neuron | feature | correlation | note |", "|---|---|---|---|"]
        out += [f"| {n} | {f} | {r:+.2f} | {label.replace('|', '/')} |" for n, f, r, label in p.findings]
    return "\n".join(out) + "\n"


def loss_svg(train: list[tuple[int, float]], val: list[tuple[int, float]], width: int = 560, height: int = 240) -> str:
    """An SVG line chart of the loss curves (nats/char against step), with axis labels."""
    points = train + val
    if not points:
        return ""
    x0, x1 = min(s for s, _ in points), max(s for s, _ in points)
    y0, y1 = min(v for _, v in points), max(v for _, v in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-3)
    left, bottom, pad = 50, 36, 12

    def xy(s: float, v: float) -> str:
        x = left + (s - x0) / (x1 - x0) * (width - left - pad)
        y = pad + (1 - (v - y0) / (y1 - y0)) * (height - bottom - pad)
        return f"{x:.1f},{y:.1f}"

    lines = []
    for curve, colour, name in ((train, "#90a4ae", "train"), (val, "#c62828", "validation")):
        if curve:
            lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                         + " ".join(xy(s, v) for s, v in curve) + f'"><title>{name}</title></polyline>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="Loss curve">'
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - pad}" y2="{height - bottom}" stroke="#444"/>'
            f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - bottom}" stroke="#444"/>'
            + "".join(lines)
            + f'<text x="{left}" y="{height - 18}" font-size="11">{x0}</text>'
            f'<text x="{width - pad}" y="{height - 18}" font-size="11" text-anchor="end">{x1}</text>'
            f'<text x="{(width + left) / 2}" y="{height - 4}" font-size="12" text-anchor="middle">training step</text>'
            f'<text x="4" y="{pad + 10}" font-size="11">{y1:.2f}</text>'
            f'<text x="4" y="{height - bottom}" font-size="11">{y0:.2f}</text>'
            f'<text x="14" y="{(height - bottom) / 2 + 20}" font-size="12" transform="rotate(-90 14 '
            f'{(height - bottom) / 2 + 20})">loss (nats/char)</text>'
            '<text x="60" y="24" font-size="11" fill="#90a4ae">train</text>'
            '<text x="100" y="24" font-size="11" fill="#c62828">validation</text></svg>')


def presentation_html(p: Presentation) -> str:
    """A self-contained HTML page (no scripts, no external files); every learner-written string is escaped."""
    e = html.escape
    parts = [f"<h1>{e(p.run_title)}</h1>",
             f"<p><em>Capstone project by {e(p.learner)}</em>{' · ' + e(p.project) if p.project else ''}</p>"]
    for key, title in NOTE_TITLES.items():
        if p.notes.get(key, "").strip():
            parts.append(f"<h2>{title}</h2><p>{e(p.notes[key].strip())}</p>")
    rows = [("Data", p.corpus), ("Training steps", f"{p.steps:,}")]
    rows += [(f"Model: {k}", str(v)) for k, v in p.config.items()]
    rows += [(f"Training: {k}", str(v)) for k, v in p.train_config.items()]
    parts.append("<h2>Setup</h2><table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
                 + "</table>")
    parts.append("<h2>Results</h2><p>Measured by the course server on the run's held-out split.</p><table>"
                 + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _metrics(p)) + "</table>")
    svg = loss_svg(p.train_curve, p.val_curve)
    if svg:
        parts.append(f"<h2>Learning curve</h2>{svg}")
    if p.samples:
        parts.append("<h2>Samples</h2>" + "".join(f"<pre>{e(s)}</pre>" for s in p.samples))
    if p.findings:
        parts.append("<h2>Neurons I identified</h2><table><tr><th>neuron</th><th>feature</th><th>r</th>"
                     "<th>note</th></tr>" + "".join(f"<tr><td>{n}</td><td>{e(f)}</td><td>{r:+.2f}</td>"
                                                    f"<td>{e(label)}</td></tr>" for n, f, r, label in p.findings)
                     + "</table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;line-height:1.45}"
             "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}"
             "pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(p.run_title)}</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


# ---- certificate -----------------------------------------------------------------------------------------------


def pdf_text(text: str) -> str:
    """The PDF core fonts cover Latin-1 only: keep what fits, replace the rest with '?'."""
    plain = {"—": "-", "–": "-", "’": "'", "“": '"', "”": '"', "·": "-", "×": "x"}
    return "".join(plain.get(ch, ch) for ch in text).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Certificate:
    name: str
    path: str  # learning path name, or "" when none was chosen
    modules: list[str]  # titles of the modules completed
    skills: list[str]
    badges: list[str]
    issued: datetime


def certificate_pdf(c: Certificate, compress: bool = True) -> bytes:
    """A one-page A4 landscape certificate as PDF bytes."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.set_title(pdf_text(f"RNN Course certificate: {c.name}"))
    pdf.set_author("RNN Course")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    w = pdf.w - 40
    pdf.set_draw_color(52, 101, 164)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_xy(20, 22)
    pdf.set_font("Helvetica", "B", 26)
    pdf.cell(w, 12, "Certificate of completion", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(20)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(w, 8, "RNN Course: The Unreasonable Effectiveness of Recurrent Neural Networks", align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_x(20)
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(w, 12, pdf_text(c.name), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(20)
    pdf.set_font("Helvetica", "", 11)
    path = f"on the learning path '{c.path}'" if c.path else "on a self-chosen route"
    pdf.cell(w, 7, pdf_text(f"completed {len(c.modules)} module(s) {path}, as recorded by the course app."),
             align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    col = (w - 10) / 2
    y = pdf.get_y()
    for k, (title, items) in enumerate((("Modules completed", c.modules),
                                        ("Skills demonstrated", c.skills + [f"Badge: {b}" for b in c.badges]))):
        x = 20 + k * (col + 10)
        pdf.set_xy(x, y)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(col, 7, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 9.5)
        for item in (items or ["(none yet)"])[:16]:
            pdf.set_x(x)
            pdf.multi_cell(col, 5, pdf_text(f"- {item}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(20, pdf.h - 26)
    pdf.set_font("Helvetica", "I", 9)
    pdf.cell(w, 5, f"Issued {c.issued:%d %B %Y}. Modules and badges are taken from the learner's saved progress "
             "and from results the course server measured.", align="C")
    return bytes(pdf.output())
