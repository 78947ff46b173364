"""Files learners download, built on demand from the course content: the equations poster (PDF, fpdf2),
the LSTM gate diagram (PNG, Pillow) and the glossary (CSV).
"""

from __future__ import annotations

import io
from functools import cache

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image, ImageDraw, ImageFont

from core.course import cheatsheets

# The PDF core fonts only cover Latin-1, so the few symbols the sheets use are spelled out.
_PLAIN = {"⊙": "*", "σ": "sigma", "τ": "tau", "—": "-", "–": "-", "’": "'", "“": '"', "”": '"', "×": "x"}
_POSTER_SHEETS = (("rnn", "loss"), ("lstm", "gru"))  # rows of the 2 x 2 grid
_HEADER_RGB = {"rnn": (52, 101, 164), "loss": (117, 80, 123), "lstm": (78, 154, 6), "gru": (196, 110, 0)}
_EQ_STEP = 10.4  # mm per equation: name line + equation line + a little air


def latin1(text: str) -> str:
    """`text` with the sheets' Greek and operator symbols spelled out; fails loudly on anything else."""
    out = "".join(_PLAIN.get(ch, ch) for ch in text)
    out.encode("latin-1")  # UnicodeEncodeError names the character a new sheet entry needs mapping for
    return out


class _Poster(FPDF):
    def fit_font(self, family: str, style: str, size: float, text: str, width: float) -> None:
        """Set the font, shrinking it until `text` fits on one line of `width` mm."""
        self.set_font(family, style, size)
        while self.get_string_width(text) > width and size > 5:
            size -= 0.25
            self.set_font(family, style, size)


def _sheet_height(pdf: _Poster, sheet: cheatsheets.Sheet, width: float) -> float:
    pdf.set_font("Helvetica", "I", 7.5)
    remember_lines = len(pdf.multi_cell(width - 4, 3.4, latin1(sheet.remember), dry_run=True, output="LINES"))
    return 7.5 + len(sheet.equations) * _EQ_STEP + remember_lines * 3.4 + 4


def _draw_sheet(pdf: _Poster, sheet: cheatsheets.Sheet, x: float, y: float, width: float, height: float) -> None:
    r, g, b = _HEADER_RGB.get(sheet.id, (80, 80, 80))
    pdf.set_draw_color(r, g, b)
    pdf.set_line_width(0.4)
    pdf.rect(x, y, width, height)
    pdf.set_fill_color(r, g, b)
    pdf.rect(x, y, width, 6.5, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 10.5)
    pdf.set_xy(x + 2, y + 0.5)
    pdf.cell(width - 4, 5.5, latin1(sheet.title))
    cy = y + 8.5
    for eq in sheet.equations:
        pdf.set_text_color(90, 90, 90)
        pdf.set_font("Helvetica", "B", 7.5)
        pdf.set_xy(x + 2, cy)
        pdf.cell(width - 4, 3.4, latin1(eq.name))
        pdf.set_text_color(0, 0, 0)
        text = latin1(eq.text)
        pdf.fit_font("Courier", "B", 10.5, text, width - 8)
        pdf.set_xy(x + 5, cy + 3.8)
        pdf.cell(width - 8, 5, text)
        cy += _EQ_STEP
    pdf.set_text_color(60, 60, 60)
    pdf.set_font("Helvetica", "I", 7.5)
    pdf.set_xy(x + 2, cy + 0.5)
    pdf.multi_cell(width - 4, 3.4, latin1(sheet.remember))


@cache
def equations_poster_pdf() -> bytes:
    """A one-page A4 landscape poster of the RNN, LSTM, GRU and loss/sampling equations, as PDF bytes."""
    sheets = cheatsheets.load()
    pdf = _Poster(orientation="L", unit="mm", format="A4")
    pdf.set_title("RNN Course: equations poster")
    pdf.set_author("RNN Course")
    pdf.set_subject("Vanilla RNN, LSTM and GRU equations; cross-entropy, perplexity, bits per character, temperature")
    pdf.set_auto_page_break(False)
    pdf.set_margins(10, 9, 10)
    pdf.add_page()
    full = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Helvetica", "B", 17)
    pdf.cell(full, 8, "Recurrent networks: the equations on one page", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8.5)
    pdf.set_text_color(70, 70, 70)
    pdf.cell(full, 4.5, "RNN Course, Appendix D. LSTM and GRU are written exactly as torch.nn.LSTMCell and "
             "torch.nn.GRUCell compute them.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    gap, y = 5.0, pdf.get_y() + 3
    col = (full - gap) / 2
    for row in _POSTER_SHEETS:
        pair = [sheets.sheet(sheet_id) for sheet_id in row]
        height = max(_sheet_height(pdf, s, col) for s in pair)
        for k, sheet in enumerate(pair):
            _draw_sheet(pdf, sheet, pdf.l_margin + k * (col + gap), y, col, height)
        y += height + gap

    pdf.set_xy(pdf.l_margin, y - 1)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "B", 8)
    pdf.cell(full, 4, "Notation", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 7.5)
    notation = "   |   ".join(f"{symbol}: {meaning}" for symbol, meaning in sheets.conventions)
    pdf.multi_cell(full, 3.6, latin1(notation))
    return bytes(pdf.output())


# ---- LSTM gate diagram (PNG) --------------------------------------------------------------------------
# Drawn on a 1200 x 560 grid and scaled, so the layout reads like the diagram it is: the cell-state line
# along the top, the concatenated [h_(t-1), x_t] bus along the bottom, the four gates in between.
_W, _H = 1200, 560
_GATES = (  # name, label, activation, centre x, fill
    ("f", "forget f_t", "sigmoid", 330, (253, 226, 226)),
    ("i", "input i_t", "sigmoid", 470, (226, 240, 253)),
    ("g", "candidate g_t", "tanh", 610, (255, 243, 205)),
    ("o", "output o_t", "sigmoid", 750, (228, 247, 228)),
)


class _Canvas:
    def __init__(self, scale: int) -> None:
        self.s = scale
        self.image = Image.new("RGB", (_W * scale, _H * scale), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.fonts = {size: ImageFont.load_default(size=size * scale) for size in (16, 18, 22)}

    def p(self, *xy: float) -> list[float]:
        return [v * self.s for v in xy]

    def line(self, *points: float, width: int = 3, arrow: bool = True) -> None:
        pts = self.p(*points)
        self.draw.line(pts, fill=(60, 60, 60), width=width * self.s, joint="curve")
        if arrow:
            (x0, y0), (x1, y1) = pts[-4:-2], pts[-2:]
            dx, dy = (x1 > x0) - (x1 < x0), (y1 > y0) - (y1 < y0)  # axis-aligned segments only
            a, b = 12 * self.s, 6 * self.s
            self.draw.polygon([(x1, y1), (x1 - dx * a - dy * b, y1 - dy * a + dx * b),
                               (x1 - dx * a + dy * b, y1 - dy * a - dx * b)], fill=(60, 60, 60))

    def text(self, x: float, y: float, text: str, size: int = 18, anchor: str = "mm", fill=(20, 20, 20)) -> None:
        self.draw.text(self.p(x, y), text, font=self.fonts[size], anchor=anchor, fill=fill)

    def op(self, x: float, y: float, kind: str) -> None:
        """A round operator node: 'x' (element-wise product) or '+' (sum), drawn as strokes, not glyphs."""
        r, arm = 20, 9
        self.draw.ellipse(self.p(x - r, y - r, x + r, y + r), fill="white", outline=(60, 60, 60), width=3 * self.s)
        if kind == "+":
            self.draw.line(self.p(x - arm, y, x + arm, y), fill=(20, 20, 20), width=3 * self.s)
            self.draw.line(self.p(x, y - arm, x, y + arm), fill=(20, 20, 20), width=3 * self.s)
        else:
            d = arm * 0.75
            self.draw.line(self.p(x - d, y - d, x + d, y + d), fill=(20, 20, 20), width=3 * self.s)
            self.draw.line(self.p(x - d, y + d, x + d, y - d), fill=(20, 20, 20), width=3 * self.s)

    def box(self, x: float, y: float, w: float, h: float, fill, oval: bool = False) -> None:
        xy = self.p(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if oval:
            self.draw.ellipse(xy, fill=fill, outline=(60, 60, 60), width=2 * self.s)
        else:
            self.draw.rounded_rectangle(xy, radius=8 * self.s, fill=fill, outline=(60, 60, 60), width=2 * self.s)


@cache
def lstm_gate_png(scale: int = 2) -> bytes:
    """The LSTM cell's gates and data flow for one time step, as PNG bytes (1200 x 560 times `scale`)."""
    c = _Canvas(scale)
    c.text(30, 28, "LSTM cell, one time step", size=22, anchor="lm")
    c.text(30, 56, "c_t = f_t * c_(t-1) + i_t * g_t        h_t = o_t * tanh(c_t)        (* = element-wise product)",
           size=16, anchor="lm", fill=(80, 80, 80))
    c.draw.rounded_rectangle(c.p(250, 82, 960, 500), radius=18 * scale, outline=(170, 170, 170),
                             width=2 * scale, fill=(250, 250, 250))
    # cell-state line: keep part of c_(t-1), add the gated candidate, carry c_t on
    c.line(90, 110, 310, 110, width=5)
    c.line(350, 110, 540, 110, width=5)
    c.line(580, 110, 1010, 110, width=5)
    c.text(30, 110, "c_(t-1)", anchor="lm")
    c.text(1020, 110, "c_t", anchor="lm")
    c.op(330, 110, "x")
    c.op(560, 110, "+")
    # the bus [h_(t-1), x_t] feeds every gate
    c.line(90, 450, 750, 450, arrow=False)
    c.text(30, 450, "h_(t-1)", anchor="lm")
    c.line(200, 540, 200, 452, arrow=False)
    c.text(212, 540, "x_t", anchor="lm")
    c.text(420, 478, "[h_(t-1), x_t] goes to all four gates", size=16, fill=(90, 90, 90))
    for _name, label, act, x, fill in _GATES:
        c.line(x, 450, x, 357)
        c.box(x, 330, 118, 50, fill)
        c.text(x, 320, label, size=16)
        c.text(x, 340, act, size=16, fill=(90, 90, 90))
    c.line(330, 305, 330, 132)  # f_t scales the old cell state
    c.line(470, 305, 470, 220, 538, 220)  # i_t and g_t meet at the write product
    c.line(610, 305, 610, 220, 582, 220)
    c.op(560, 220, "x")
    c.line(560, 198, 560, 132)
    # output: h_t = o_t * tanh(c_t)
    c.line(880, 110, 880, 198)
    c.box(880, 220, 80, 40, (255, 243, 205), oval=True)
    c.text(880, 220, "tanh", size=16)
    c.line(880, 240, 880, 308)
    c.line(809, 330, 858, 330)  # o_t decides how much of tanh(c_t) to show
    c.op(880, 330, "x")
    c.line(880, 352, 880, 420, 1010, 420)
    c.text(1020, 420, "h_t", anchor="lm")
    c.text(1020, 440, "to the next step\nand the output layer", size=16, anchor="la", fill=(90, 90, 90))
    out = io.BytesIO()
    c.image.save(out, format="PNG")
    return out.getvalue()
