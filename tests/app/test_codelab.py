"""The code-lab widget in AppTest: predict first, feed the editor through its session-state key, click Run, see
per-test results; attempts are saved, hints come one at a time, the solution opens after an honest attempt."""

from core.labs import exercises, grader
from core.ui import codelab
from tests.app.conftest import open_page

M02 = "pages/m02_rnn.py"


def unlock(at, lab_id="rnn_step"):
    at.radio(key=f"lab-{lab_id}-predict").set_value(exercises.get(lab_id).predict.answer).run()
    at.button(key=f"lab-{lab_id}-predict-check").click().run()
    return at


def run_code(at, code, lab_id="rnn_step"):
    at.session_state[codelab.editor_key(lab_id)] = code
    return at.button(key=f"lab-{lab_id}-run").click().run()


def progress_text(at) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def test_predict_gate_gives_feedback_then_unlocks_the_editor(db, learner):
    _, token = learner
    at = open_page(M02, token)
    assert not at.exception
    assert "lab-rnn_step-run" not in [b.key for b in at.button]
    at.radio(key="lab-rnn_step-predict").set_value(2).run()
    at.button(key="lab-rnn_step-predict-check").click().run()
    assert any(w.value == exercises.get("rnn_step").predict.feedback[2] for w in at.warning)
    unlock(at)
    assert "lab-rnn_step-run" in [b.key for b in at.button]


def test_running_the_reference_passes_and_saves_the_attempt(db, learner):
    record, token = learner
    solution = exercises.get("rnn_step").solution
    at = run_code(unlock(open_page(M02, token)), solution)
    assert not at.exception
    assert "All tests pass" in progress_text(at)
    assert sum(":material/check_circle:" in m.value for m in at.markdown) == 6
    assert any("fresh sandbox" in c.value for c in at.caption)
    summary = db.lab_summary(record.id)["rnn_step"]
    assert summary.solved and summary.attempts == 1
    assert db.latest_lab_code(record.id, "rnn_step") == solution
    again = open_page(M02, token)  # a new session: no predict gate, the editor starts from the saved code
    assert again.session_state["lab-rnn_step-initial"] == solution
    assert "lab-rnn_step-run" in [b.key for b in again.button]


def test_broken_code_shows_messages_and_printed_output_as_code(db, learner):
    _, token = learner
    at = unlock(open_page(M02, token))
    code = ("import numpy as np\n\ndef rnn_step(x, h_prev, W_xh, W_hh, b_h):\n    print('<b>debug</b>')\n"
            "    return np.tanh(W_xh @ x + W_hh.T @ h_prev + b_h)\n")
    at = run_code(at, code)
    assert "of 6 tests pass" in progress_text(at) and "All tests pass" not in progress_text(at)
    assert any("W\\_hh transposed" in m.value for m in at.markdown)
    assert any("<b>debug</b>" in c.value for c in at.code)  # learner output: code block, never HTML
    at = run_code(at, "def rnn_step(x)\n    return x\n")
    assert any("SyntaxError on line 1" in e.value for e in at.error)
    assert any("def rnn_step(x)" in c.value for c in at.code)


def test_hints_come_one_at_a_time_and_the_solution_opens_after_an_honest_attempt(db, learner):
    record, token = learner
    at = unlock(open_page(M02, token))
    assert not any("Reference solution" in e.label for e in at.expander)
    for shown in range(1, 4):
        at.button(key="lab-rnn_step-hint-btn").click().run()
        assert sum("**Hint" in i.value for i in at.info) == shown
    assert "lab-rnn_step-hint-btn" not in [b.key for b in at.button]
    at = run_code(at, exercises.get("rnn_step").starter)
    assert any("Reference solution" in e.label for e in at.expander)
    assert db.lab_summary(record.id)["rnn_step"].best_passed == 0


def test_module_pages_embed_their_labs_and_no_longer_list_them_as_to_come(db, learner):
    _, token = learner
    at = open_page("pages/m09_implementation.py", token)
    assert not at.exception
    todo = " ".join(i.value for i in at.info)
    assert "Lab 1: forward pass" not in todo and "Lab 4: full training loop" not in todo
    assert "still to come" not in todo  # every planned element of module 9 is built now
    titles = " ".join(h.value for h in at.subheader)
    for lab_id in ("rnn_forward", "rnn_backward", "clip_gradients", "train_loop", "lstm_cell_forward"):
        assert exercises.get(lab_id).title in titles


def test_code_labs_page_lists_every_lab_and_opens_one(db, learner):
    _, token = learner
    at = open_page("pages/p_codelabs.py", token)
    assert not at.exception
    assert len(at.dataframe[0].value) == len(exercises.LABS)
    at.selectbox(key="labs-pick").set_value("gru_cell_forward").run()
    at = run_code(at, exercises.get("gru_cell_forward").solution, "gru_cell_forward")
    assert "All tests pass" in progress_text(at)


def test_code_labs_page_says_which_labs_finishing_the_path_asks_for(db, learner):
    record, token = learner
    db.set_path(record.id, "B")
    at = open_page("pages/p_codelabs.py", token)
    table = at.dataframe[0].value
    on_path = dict(zip(table["Lab"], table["On your path"], strict=True))
    assert on_path[exercises.get("rnn_step").title] == "required"
    assert on_path[exercises.get("lstm_cell_forward").title] == "optional"
    db.set_path(record.id, "A")  # a path that asks for no labs: no such column
    assert "On your path" not in open_page("pages/p_codelabs.py", token).dataframe[0].value


def test_a_busy_server_shows_the_place_in_line_and_saves_nothing(db, learner, monkeypatch):
    record, token = learner
    seen: dict = {}

    def busy(lab, code, *, seed, learner, on_wait, **options):
        seen["learner"] = learner
        on_wait(3)  # the page says where this run stands while it waits
        seen["waiting"] = True
        return grader.GradeReport("busy", place=3, message="Every sandbox is still busy: your place in line was 3 "
                                                           "after 30 s of waiting. Please run again shortly.")

    monkeypatch.setattr(exercises, "grade", busy)
    at = run_code(unlock(open_page(M02, token)), exercises.get("rnn_step").solution)
    assert not at.exception
    assert seen == {"learner": f"learner:{record.id}", "waiting": True}  # the fair share is this learner's
    assert any("your place in line was 3" in w.value for w in at.warning)
    assert "rnn_step" not in db.lab_summary(record.id)  # no verdict, nothing saved


def test_a_server_without_seccomp_shows_learners_a_plain_message(db, learner, monkeypatch):
    _, token = learner
    monkeypatch.setattr(exercises, "grade", lambda *a, **k: grader.GradeReport("unavailable", message=grader.UNAVAILABLE))
    at = run_code(unlock(open_page(M02, token)), exercises.get("rnn_step").solution)
    text = " ".join(w.value for w in at.warning)
    assert "unavailable on this server right now; your instructor has been told" in text
    assert "seccomp" not in text and "RNN_COURSE" not in text
