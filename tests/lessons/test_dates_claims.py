"""What Modules 6 and 7 say about the shipped dates models is what the models really do: the three sentences that
broke the first version now come out right, the hand-written-set figures quoted in the prose are the manifest's,
and the coverage term and its measured reason are disclosed."""

import pytest

from core.course import lessons
from core.lessons import translation_steps
from core.models import inference
from core.training import checkpoints
from core.training import seq2seq as seq2seq_training

CASES = {  # the first version wrote 1998-05-12, the two dates swapped, and 2022-03-10 2022-03-13
    "Renewed 12 January 1998 and again 3 May 2005.": "1998-01-12 2005-05-03",
    "Meeting moved from 3 Feb 2021 to the 7th of July 2022": "2021-02-03 2022-07-07",
    "Delivery window: 3 Mar 2022 - 10 Mar 2022": "2022-03-03 2022-03-10",
}
MISSES = {  # quoted in m06 sandbox-intro as what is left
    "Score was 3-1 on 22 June 1986.": "1986-06-03 1986-06-22",
    "Q3 report - Sept figures due Oct. 5, 2021": "2021-10-05 2021-10-05",
}


@pytest.fixture(scope="module")
def model():
    if "dates-attention" not in checkpoints.names(model_type=seq2seq_training.MODEL_TYPE):
        pytest.skip("dates-attention is not shipped")
    m, _ = seq2seq_training.load("dates-attention")
    return inference.prepare(m, device="cpu")


@pytest.mark.parametrize(("text", "expected"), [*CASES.items(), *MISSES.items()])
def test_the_quoted_sentences_give_what_the_pages_say(model, text, expected):
    with inference.inference():
        walk = translation_steps.walkthrough(model, text)
    assert walk.output == expected
    assert walk.check.unsure == (text in MISSES)  # the misses are shown as guesses, the right answers are not


def test_the_pages_quote_the_manifest_and_disclose_coverage():
    sandbox, heatmap = lessons.block("m06", "sandbox-intro"), lessons.block("m07", "heatmap-intro")
    entry = checkpoints.entry("dates-attention")
    hw, before = entry["metrics"]["handwritten"], entry["training"]["stage1"]["metrics"]
    assert f"We wrote {hw['n']} sentences by hand" in sandbox and f"gets {hw['exact_match']:.0%} of" in sandbox
    assert f"it got {before['handwritten']:.0%}" in sandbox
    assert f"flagged all {hw['wrong']} wrong answers" in sandbox and hw["wrong_flagged"] == hw["wrong"]
    assert hw["right_flagged"] == 0 and "none of the right ones" in sandbox
    assert "`1986-06-03`" in sandbox and "written twice" in sandbox
    assert f"gets {hw['exact_match']:.0%} of our {hw['n']} hand-written" in heatmap
    assert f"{entry['training']['steps']:,} training steps" in lessons.block("m07", "bottleneck-measured")
    assert "coverage" in sandbox and "coverage" in lessons.block("m07", "bottleneck-measured")
    assert entry["config"]["coverage"] is True and entry["metrics"]["long_memos"]["exact_match"] >= 0.99
    assert "99.5% at step 500" in entry["recipe"]["notes"] and "26% exact match" in entry["recipe"]["notes"]
    assert "99.5%" in lessons.block("m07", "attention") and "26%" in lessons.block("m07", "attention")


def test_the_heatmap_notice_matches_the_recorded_default_heatmap():
    """m07 heatmap-notice: year digits 1-2 look at the '2' of '24', the month digits at the 'a' of 'March'."""
    example = checkpoints.entry("dates-attention")["heatmaps"][0]
    assert example["text"] == "Thursday, the 14th of March 2024" and example["output"] == "2024-03-14"
    text, rows = example["text"], example["attention"]
    peak = [max(range(len(r)), key=r.__getitem__) for r in rows]
    assert peak[0] == peak[1] == text.index("2024") + 2  # the '2' of '24'
    assert peak[5] == peak[6] == text.index("March") + 1  # the 'a' of 'March'
    notice = lessons.block("m07", "heatmap-notice")
    assert "the '2' of '24'" in notice and "the 'a' of 'March'" in notice


def test_what_coverage_adds_is_quoted_from_the_two_shipped_checkpoints():
    names = checkpoints.names(model_type=seq2seq_training.MODEL_TYPE)
    if "dates-bahdanau" not in names:
        pytest.skip("dates-bahdanau is not shipped")
    cov, plain = (checkpoints.entry(n) for n in ("dates-attention", "dates-bahdanau"))
    assert cov["config"]["coverage"] and not plain["config"]["coverage"]
    assert cov["config"]["hidden"] == plain["config"]["hidden"] and cov["training"]["steps"] == plain["training"]["steps"]
    text = " ".join(lessons.block("m07", "attention").split())
    for e_plain, e_cov, key in ((plain, cov, "long_split"), (plain, cov, "natural_text")):
        a, b = e_plain["metrics"][key]["exact_match"], e_cov["metrics"][key]["exact_match"]
        assert f"{a:.1%} of" in text and f"against {b:.1%}" in text
    hand = [round(e["metrics"]["handwritten"]["exact_match"] * 48) for e in (plain, cov)]
    assert f"{hand[0]} of the 48 hand-written sentences against {hand[1]}" in text
    assert plain["metrics"]["all_formats"]["exact_match"] == cov["metrics"]["all_formats"]["exact_match"] == 1.0
