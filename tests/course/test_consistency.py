"""Claims that live in several assets say the same thing: the clipping default is the one the training code uses,
and every GRU update is written in PyTorch's convention (the one the code, lab and cheat sheet compute)."""

from core.assessment import flashcards, interview, quiz
from core.course import cheatsheets
from core.training import hparams, loop

PYTORCH_GRU = r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"


def test_the_clipping_default_everywhere_is_the_one_the_training_code_uses():
    assert loop.TrainConfig().clip == hparams.GridConfig().clip == 1.0
    sheet = next(h for h in cheatsheets.load().hyperparameters if "clipping" in h.name.lower())
    assert float(sheet.start) == loop.TrainConfig().clip
    card = flashcards.by_id(flashcards.load_cards())["m09-failure-modes"]
    assert "clip the global gradient norm at 1 " in " ".join(card.back.split())
    start = next(q for q in quiz.load_quiz("m09").questions if q.id == "start-settings")
    assert "Gradient clipping at a global norm of about 1" in start.answer
    for text in (card.back, *start.options):
        assert "about 5" not in text


def test_every_gru_update_is_written_in_pytorchs_convention():
    assert any(PYTORCH_GRU in eq.latex for sheet in cheatsheets.load().sheets for eq in sheet.equations)
    card = flashcards.by_id(flashcards.load_cards())["seed-gru"]
    answer = next(q for q in interview.load() if q.id == "interview-gru-vs-lstm").answer
    for text in (card.back, answer):
        assert PYTORCH_GRU in " ".join(text.split()) and "PyTorch" in text
