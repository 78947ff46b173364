import time

import pytest

from core import metrics
from core.lessons import gallery
from core.models import inference, sampling
from core.training import checkpoints


def test_speaker_prime_upper_cases_a_name_and_refuses_anything_else():
    assert gallery.speaker_prime("  lady   macbeth ") == "LADY MACBETH:\n"
    for bad in ("", "R2D2", "x" * 31, "<script>", "\x00"):
        with pytest.raises(ValueError):
            gallery.speaker_prime(bad)


def test_cuts_stop_at_the_blank_line_the_end_of_proof_and_the_closing_brace():
    assert gallery.cut_speech("To be.\nOr not.\n\nHAMLET:\nAy.") == "To be.\nOr not."
    assert gallery.cut_proof("Trivial.\n\\end{proof}\nMore") == "Trivial.\n\\end{proof}"
    assert gallery.cut_proof("never closed") == "never closed"
    body = '\tif (x) {\n\t\tputs("}");  /* } */\n\t}\n\treturn 0;\n}\nint next(void)'
    assert gallery.cut_function(body) == '\tif (x) {\n\t\tputs("}");  /* } */\n\t}\n\treturn 0;\n}'
    assert gallery.cut_function("\treturn 0;") == "\treturn 0;"


def test_primes_validate_their_input():
    assert gallery.proof_prime(" $x=x$ ").startswith("\\begin{theorem}\n$x=x$\n\\end{theorem}")
    assert gallery.function_prime("int  f(void)") == "int f(void)\n{\n"
    for fn, bad in ((gallery.proof_prime, " "), (gallery.proof_prime, "a" * 401), (gallery.function_prime, ""),
                    (gallery.function_prime, "int f(void) {")):
        with pytest.raises(ValueError):
            fn(bad)


def test_c_detector_finds_a_wrong_closer_and_its_opener_line():
    code = "int f(int a)\n{\n\treturn g(a, b];\n}\n"
    found = gallery.c_errors(code)
    assert [(f.line, f.related) for f in found] == [(3, 3)]
    assert gallery.c_errors("int f(void)\n{\n\treturn 0;\n}\n") == []


def test_c_detector_skips_strings_comments_and_a_cut_off_end():
    code = 'x = ")";\n/* ] */ y = \'}\';\n// )\nif (a) {\n\tb('
    assert gallery.c_errors(code) == []
    assert gallery.c_errors("the tail of a comment ) */\nint x;") == []  # sample started inside a comment
    assert [f.line for f in gallery.c_errors("a;\n}\n")] == [2]


def test_latex_detector_finds_mismatched_environments_and_stray_braces():
    tex = "\\begin{proof}\nTrivial $\\{x\\}$.\n\\end{lemma}\n\\begin{theorem}\nok}\n"
    found = gallery.latex_errors(tex)
    assert [(f.line, f.related) for f in found] == [(3, 1), (5, None)]
    assert gallery.latex_errors("\\begin{a}\n{b}\n\\end{a}\n\\begin{c}") == []


def test_play_detector_finds_a_speech_without_a_speaker_and_a_malformed_name():
    good = "some end of a line\n\nROMEO:\nHello.\n\nFirst Citizen:\nHi:\n\nSenators, &C:\nAy.\nthe"
    assert gallery.play_errors(good) == []
    bad = "end\n\nROMEO:\n\nJULIET:\nHi.\n\nno speaker here\nstill none\n\nNURSE::\nNo.\n\ncut off"
    found = gallery.play_errors(bad)
    assert [f.line for f in found] == [8, 11]  # a silent ROMEO is not an error: the training text has 125
    assert "not a well-formed" in found[1].message


def test_check_answer_accepts_the_faulty_line_or_the_opener_it_wrongly_closes():
    code = "f(a,\n  b,\n  c];\n"
    assert gallery.check_answer("c", code, 3)[0] and gallery.check_answer("c", code, 1)[0]
    assert not gallery.check_answer("c", code, 2)[0]
    with pytest.raises(ValueError):
        gallery.errors("cobol", "x")


def test_names_split_and_novelty_count_distinct_names_against_both_sets():
    assert gallery.names_from_sample("anna\nbob\n\ncar") == ["anna", "bob"]  # last line may be cut off
    names_text = "\n".join(["anna", "bob", "carl", "dora", "emil", "fay", "gus", "hal", "ida", "jo"])
    seen, everything = gallery.training_names(names_text, None)
    assert everything == set(names_text.split("\n")) and seen < everything and "anna" in seen
    nov = gallery.novelty(["anna", "Anna", "zed", "jo"], seen, everything)
    assert (nov.generated, nov.distinct) == (4, 3)
    assert nov.not_in_file == 1 and nov.share_new_anywhere == pytest.approx(1 / 3)
    assert nov.not_in_training == len({"anna", "zed", "jo"} - seen)


def test_votes_are_judged_against_the_whole_file_and_flag_names_only_in_the_held_out_part():
    seen, everything = {"anna", "bob"}, {"anna", "bob", "jo"}
    judged = gallery.judge_votes(["Anna", "jo", "zed"], ["real", "invented", "invented"], seen, everything)
    assert [(j.truth, j.held_out_only, j.right) for j in judged] == [
        ("real", False, True), ("real", True, False), ("invented", False, True)]
    with pytest.raises(ValueError):
        gallery.judge_votes(["anna"], [], seen, everything)


def test_new_plausible_share_counts_every_sample_against_the_whole_list():
    known = {"anna", "bob", "carl", "jon"}
    assert gallery.new_plausible_share(["anna", "ann", "ann", "xq"], known) == pytest.approx(2 / 4)
    assert gallery.new_plausible_share([], known) == 0.0


def test_a_function_counts_as_closed_when_the_cut_stopped_early_or_ends_in_a_brace():
    sample = "\treturn 0;\n}\nint next(void)"
    assert gallery.function_closed(sample, gallery.cut_function(sample))
    assert gallery.function_closed("\treturn 0;\n}", gallery.cut_function("\treturn 0;\n}"))
    assert not gallery.function_closed("\tx++;", gallery.cut_function("\tx++;"))


def test_new_plausible_names_need_known_letter_pairs_and_count_every_sample():
    known = {"anna", "bob", "carl", "jon"}
    plausible, new = metrics.new_plausible_names(["anna", "ann", "ann", "xq", "", "bo", "Bob", "a"], known)
    # "xq": unseen pairs; "bo": no known name ends in "o"; "", "a": too short; "Bob": not lower case
    assert plausible == ["anna", "ann", "ann"]
    assert new == ["ann", "ann"]
    assert metrics.new_plausible_names(["carlq"], known) == ([], [])  # no known name ends in "q"


def test_shipped_puzzles_each_have_one_or_two_faulty_lines():
    puzzles = gallery.load_puzzles()
    assert {p["kind"] for p in puzzles} == {"play", "latex", "c"}
    for p in puzzles:
        assert gallery.good_puzzle(p["kind"], p["text"]), p["id"]


def _shipped(name: str) -> bool:
    try:
        return name in checkpoints.names()
    except checkpoints.CheckpointError:
        return False


def test_shipped_puzzles_are_real_samples_of_their_model():
    puzzles = [p for p in gallery.load_puzzles() if _shipped(p["model"])][::3]
    if not puzzles:
        pytest.skip("no puzzle model shipped")
    for p in puzzles:
        model, entry = checkpoints.load(p["model"])
        assert entry["sha256"] == p["sha256"], (
            f"{p['id']} was drawn from another version of {p['model']}: rerun `python -m core.lessons.gallery`")
        text = sampling.sample(model, checkpoints.vocab_of(entry), p["length"], p["temperature"], prime=p["prime"],
                               seed=p["seed"])
        assert gallery.trim(text) == p["text"], p["id"]


@pytest.mark.parametrize("name", ["shakespeare-lstm-best", "linux-lstm"])
def test_sampling_500_characters_from_a_shipped_model_takes_well_under_a_second(name):
    if not _shipped(name):
        pytest.skip(f"{name} not shipped")
    inference.configure_threads()
    model, entry = checkpoints.load(name)
    model = inference.prepare(model)
    vocab = checkpoints.vocab_of(entry)
    sampling.sample(model, vocab, 20, 0.8, prime="\n", seed=0)  # warm-up
    times = []
    for seed in range(3):
        start = time.perf_counter()
        sampling.sample(model, vocab, 500, 0.8, prime="ROMEO:\n", seed=seed)
        times.append(time.perf_counter() - start)
    print(f"{name}: 500 characters in {min(times) * 1000:.0f} ms (best of 3)")
    assert min(times) < 1.0


def test_experiments_table_rows_are_complete():
    from core.course import content
    from core.data.corpora import REPO_ROOT

    rows = content.strip_lines(content.read_yaml(REPO_ROOT / "assets" / "experiments.yaml"))["rows"]
    assert len(rows) == 6
    for row in rows:
        assert all(str(row.get(f, "")).strip() for f in ("dataset", "size", "model", "learned", "missed")), row
