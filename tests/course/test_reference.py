"""The reference appendices: reading list, cheat sheets and the downloadable files built from them."""

import csv
import io
import math
import re
import zlib

import numpy as np
import pytest
import torch

from core.course import cheatsheets, curriculum, glossary, poster, reading

MODULES = curriculum.load_course().modules
SHEETS = cheatsheets.load()
GROUPS = reading.load()
ITEMS = reading.all_items(GROUPS)


# ---- reading list ------------------------------------------------------------------------------------

@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.title[:40])
def test_every_reading_has_a_title_an_https_url_a_reason_and_a_real_module(item):
    assert item.title and item.authors
    assert re.fullmatch(r"https://[^\s]+", item.url), item.url
    assert len(item.why_read.split()) >= 12, "say in a sentence or two why it is worth the time"
    assert item.module in MODULES, f"{item.title}: unknown module {item.module!r}"
    assert item.year is None or 1980 <= item.year <= 2030


def test_reading_list_has_the_four_groups_and_no_duplicate_links():
    assert [g.id for g in GROUPS] == ["foundational", "attention", "modern", "code"]
    assert all(g.items for g in GROUPS)
    urls = [i.url for i in ITEMS]
    assert len(urls) == len(set(urls))


def test_arxiv_links_point_at_abstract_pages():
    for item in ITEMS:
        if "arxiv.org" in item.url:
            assert re.fullmatch(r"https://arxiv\.org/abs/\d{4}\.\d{4,5}", item.url), item.url


def test_the_original_post_and_code_are_on_the_list():
    urls = {i.url for i in ITEMS}
    assert "https://karpathy.github.io/2015/05/21/rnn-effectiveness/" in urls
    assert "https://github.com/karpathy/char-rnn" in urls
    assert "https://gist.github.com/karpathy/d4dee566867f8291f086" in urls


def test_start_here_is_short_and_filtering_by_module_keeps_only_that_module():
    assert 1 <= len(reading.start_here(GROUPS)) <= 5
    only = reading.for_modules(GROUPS, {"m07"})
    assert only and all(i.module == "m07" for g in only for i in g.items)
    assert reading.for_modules(GROUPS, None) == GROUPS
    assert reading.for_modules(GROUPS, set()) == ()


# ---- cheat sheets ------------------------------------------------------------------------------------

def test_every_sheet_has_equations_in_latex_and_printable_text_and_a_real_module():
    assert [s.id for s in SHEETS.sheets] == ["rnn", "lstm", "gru", "loss"]
    for sheet in SHEETS.sheets:
        assert sheet.module in MODULES
        assert sheet.equations and sheet.symbols and sheet.remember
        for eq in sheet.equations:
            assert eq.latex and eq.text and eq.note
            poster.latin1(eq.text)  # the poster's core font can print it


def test_sheet_equations_use_the_torch_conventions():
    rnn, lstm, gru = (SHEETS.sheet(k) for k in ("rnn", "lstm", "gru"))
    assert rnn.equation("Hidden state").text == "h_t = tanh(W_hh h_(t-1) + W_xh x_t + b_h)"
    assert rnn.equation("Output (logits)").text == "y_t = W_hy h_t + b_y"
    assert lstm.equation("Cell state").text == "c_t = f_t * c_(t-1) + i_t * g_t"
    assert lstm.equation("Hidden state").text == "h_t = o_t * tanh(c_t)"
    assert gru.equation("New hidden state").text == "h_t = (1 - z_t) * n_t + z_t * h_(t-1)"


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_lstm_sheet_matches_torch_lstm_cell():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4)
    x, h, c = torch.randn(3), torch.randn(4), torch.randn(4)
    with torch.no_grad():
        h_ref, c_ref = cell(x[None], (h[None], c[None]))
    w_x, w_h = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    b = (cell.bias_ih + cell.bias_hh).detach().numpy()
    pre = w_x @ x.numpy() + w_h @ h.numpy() + b  # rows i | f | g | o
    i, f, g, o = np.split(pre, 4)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c_t = f * c.numpy() + i * g
    h_t = o * np.tanh(c_t)
    np.testing.assert_allclose(c_t, c_ref[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_t, h_ref[0].numpy(), rtol=1e-5, atol=1e-6)


def test_gru_sheet_matches_torch_gru_cell():
    torch.manual_seed(1)
    cell = torch.nn.GRUCell(3, 4)
    x, h = torch.randn(3).numpy(), torch.randn(4)
    with torch.no_grad():
        h_ref = cell(torch.tensor(x)[None], h[None])[0].numpy()
    h = h.numpy()
    w_xr, w_xz, w_xn = np.split(cell.weight_ih.detach().numpy(), 3)
    w_hr, w_hz, w_hn = np.split(cell.weight_hh.detach().numpy(), 3)
    b_xr, b_xz, b_xn = np.split(cell.bias_ih.detach().numpy(), 3)
    b_hr, b_hz, b_hn = np.split(cell.bias_hh.detach().numpy(), 3)
    r = _sigmoid(w_xr @ x + b_xr + w_hr @ h + b_hr)
    z = _sigmoid(w_xz @ x + b_xz + w_hz @ h + b_hz)
    n = np.tanh(w_xn @ x + b_xn + r * (w_hn @ h + b_hn))
    h_t = (1 - z) * n + z * h
    np.testing.assert_allclose(h_t, h_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("kind", "torch_cell"), [("rnn", torch.nn.RNNCell), ("gru", torch.nn.GRUCell),
                                                  ("lstm", torch.nn.LSTMCell)])
def test_parameter_count_matches_torch_cells(kind, torch_cell):
    cell = torch_cell(65, 256)
    assert cheatsheets.parameter_count(kind, 65, 256) == sum(p.numel() for p in cell.parameters())


def _independent_softmax(logits, tau):
    exps = [math.exp(z / tau) for z in logits]
    return [e / sum(exps) for e in exps]


def test_temperature_example_sums_to_one_and_matches_an_independent_softmax():
    assert SHEETS.example_logits == (2.0, 1.0, 0.5)
    assert SHEETS.example_temperatures == (0.5, 1.0, 2.0)
    ex = cheatsheets.temperature_example(SHEETS.example_logits, SHEETS.example_temperatures)
    assert ex.probs.shape == (3, 3)
    np.testing.assert_allclose(ex.probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    for tau, row in zip(ex.temperatures, ex.probs, strict=True):
        np.testing.assert_allclose(row, _independent_softmax(SHEETS.example_logits, tau), rtol=1e-12)
        np.testing.assert_allclose(row, torch.softmax(torch.tensor(SHEETS.example_logits, dtype=torch.float64) / tau,
                                                      dim=0).numpy(), rtol=1e-12)


def test_lower_temperature_sharpens_without_changing_the_order():
    ex = cheatsheets.temperature_example((2.0, 1.0, 0.5), (0.5, 1.0, 2.0))
    assert list(ex.entropy_bits) == sorted(ex.entropy_bits)
    assert all(list(np.argsort(-row)) == [0, 1, 2] for row in ex.probs)
    assert ex.entropy_bits[-1] < math.log2(3)


def test_softmax_is_stable_and_rejects_a_non_positive_temperature():
    p = cheatsheets.softmax_with_temperature([1000.0, 999.0], 0.01)
    assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            cheatsheets.softmax_with_temperature([1.0, 2.0], bad)


def test_loss_units_convert_nats_to_perplexity_and_bits():
    units = cheatsheets.loss_units(1.5)
    assert units.perplexity == pytest.approx(math.exp(1.5))
    assert units.bits_per_char == pytest.approx(1.5 / math.log(2))
    assert units.bits_per_char == pytest.approx(math.log2(units.perplexity))
    assert cheatsheets.uniform_loss(65).perplexity == pytest.approx(65)
    with pytest.raises(ValueError):
        cheatsheets.loss_units(-0.1)


def test_hyperparameter_and_temperature_guides_are_filled_in():
    assert len(SHEETS.hyperparameters) >= 6
    assert all(r.start and r.range and r.adjust and r.why for r in SHEETS.hyperparameters)
    assert len(SHEETS.temperature_bands) >= 4
    assert len(SHEETS.example_labels) == len(SHEETS.example_logits)


# ---- downloads ---------------------------------------------------------------------------------------

def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages: inflate every stream and undo PDF string escapes."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    raw = b"\n".join(chunks)
    raw = raw.replace(b"\\(", b"(").replace(b"\\)", b")").replace(b"\\\\", b"\\")
    return raw.decode("latin-1")


def test_poster_is_a_one_page_pdf_with_every_equation_on_it():
    pdf = poster.equations_poster_pdf()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    text = _pdf_text(pdf)
    assert "h_t = tanh(W_hh h_(t-1) + W_xh x_t + b_h)" in text
    assert "c_t = f_t * c_(t-1) + i_t * g_t" in text
    for sheet in SHEETS.sheets:
        for eq in sheet.equations:
            assert poster.latin1(eq.text) in text, eq.text


def test_lstm_gate_diagram_is_a_png_and_the_dot_names_every_gate():
    png = poster.lstm_gate_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > height > 500
    dot = cheatsheets.lstm_gate_dot()
    assert dot.count("{") == dot.count("}")
    for gate in ("f_t", "i_t", "g_t", "o_t", "c_(t-1)", "c_t", "h_t"):
        assert gate in dot


def test_glossary_csv_has_one_row_per_term():
    terms = glossary.load()
    rows = list(csv.DictReader(io.StringIO(glossary.glossary_csv(terms).decode("utf-8-sig"))))
    assert [r["term"] for r in rows] == [t.term for t in terms]
    assert all(r["plain_english"] and r["technical"] for r in rows)


def test_appendix_b_has_the_interactive_explanations_and_d2l():
    urls = {i.url for i in ITEMS}
    assert {"https://distill.pub/2016/augmented-rnns/", "https://distill.pub/2019/memorization-in-rnns/",
            "https://d2l.ai/chapter_recurrent-neural-networks/index.html",
            "https://d2l.ai/chapter_recurrent-modern/index.html", "https://arxiv.org/abs/1606.07461",
            "https://poloclub.github.io/transformer-explainer/"} <= urls
