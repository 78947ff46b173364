"""The training coach: each rule fires on the curve it describes and stays quiet on a healthy one."""

import math

import pytest

from core.models.charlm import CharLMConfig, build, num_params
from core.training import coach


def facts(train=None, evals=(), grads=None, **kw):
    train = train if train is not None else [3.0 - 0.01 * i for i in range(100)]
    base = dict(train=[(i + 1, v) for i, v in enumerate(train)], evals=list(evals),
                grad_norms=grads if grads is not None else [1.0] * len(train), train_chars=100_000,
                params=20_000, vocab_size=60, hidden=64, dropout=0.0, lr=3e-3, clip=1.0, max_steps=100)
    return coach.RunFacts(**{**base, **kw})


def rules(f):
    return [a.rule for a in coach.advise(f)]


def test_a_healthy_finished_run_gets_no_warning():
    f = facts(evals=[(25, 2.8), (50, 2.5), (75, 2.3), (100, 2.25)], state="finished", max_steps=1000)
    assert rules(f) == ["healthy"]


def test_nan_is_an_error_with_a_lower_learning_rate_and_clipping():
    f = facts(state="nan", message="Training diverged at step 12.", clip=0.0, lr=0.1)
    (a,) = [a for a in coach.advise(f) if a.rule == "diverged"]
    assert a.level == "error" and "1e-02" in a.text and "turn gradient clipping on" in a.text
    assert coach.advise(f)[0].rule == "diverged"
    assert "diverged" in rules(facts(train=[2.0] * 50 + [math.nan]))


def test_climbing_training_loss_suggests_a_smaller_learning_rate():
    f = facts(train=[3.0 - 0.02 * i for i in range(40)] + [4.0] * 10, lr=0.03)
    (a,) = [a for a in coach.advise(f) if a.rule == "loss_climbing"]
    assert "too high" in a.text and "1e-02" in a.text


def test_loss_above_a_uniform_guess_is_an_error_and_near_it_a_warning():
    # ln 60 = 4.09 nats/char is what guessing uniformly over 60 characters costs
    blown = facts(train=[20.0 - 0.1 * i for i in range(100)], evals=[(50, 12.0), (100, 6.0)], lr=1.0, clip=0)
    (a,) = [a for a in coach.advise(blown) if a.rule == "not_learning"]
    assert a.level == "error" and "4.09" in a.text and "clipping" in a.text
    assert "try 1e-01 instead of 1" in a.text  # always lower than the rate in use
    low = facts(train=[9.0] * 100, evals=[(50, 3.0), (100, 3.0)], lr=1e-3)  # only training loss is that high
    (c,) = [a for a in coach.advise(low) if a.rule == "not_learning"]
    assert c.text.startswith("Training loss is 9.00") and "try 1e-04 instead of 0.001" in c.text
    slow = facts(train=[3.6] * 100, evals=[(50, 3.7), (100, 3.6)])
    (b,) = [a for a in coach.advise(slow) if a.rule == "not_learning"]
    assert b.level == "warning" and "uniform guess" in b.text
    assert "not_learning" not in rules(facts(train=[2.0] * 100, evals=[(50, 2.2), (100, 2.1)]))
    assert "not_learning" not in rules(facts(train=[9.0] * 10, evals=[(10, 9.0)]))  # too early to judge


def test_gradient_spikes_mention_clipping_state():
    grads = [1.0] * 40 + [50.0] + [1.0] * 9
    on = [a for a in coach.advise(facts(grads=grads, train=[2.0] * 50)) if a.rule == "gradient_spikes"]
    off = [a for a in coach.advise(facts(grads=grads, train=[2.0] * 50, clip=0)) if a.rule == "gradient_spikes"]
    assert "rescaled" in on[0].text and "turn clipping on" in off[0].text
    loose = [a for a in coach.advise(facts(grads=grads, train=[2.0] * 50, clip=100.0)) if a.rule == "gradient_spikes"]
    assert "rescaled" not in loose[0].text and "under the clipping threshold" in loose[0].text
    assert "gradient_spikes" not in rules(facts(grads=[1.0] * 50, train=[2.0] * 50))


def test_rising_validation_with_falling_training_loss_is_overfitting():
    train = [3.0 - 0.02 * i for i in range(100)]  # ends near 1.0, well below validation
    f = facts(train=train, evals=[(25, 2.0), (50, 1.8), (75, 1.85), (100, 1.95)])
    (a,) = [a for a in coach.advise(f) if a.rule == "overfitting"]
    assert "step 50" in a.text and "dropout" in a.text
    assert "overfitting" not in rules(facts(train=train, evals=[(25, 2.6), (50, 2.4), (75, 2.2), (100, 2.1)]))


def test_close_flat_losses_late_in_the_run_are_underfitting_and_falling_ones_still_learning():
    flat = facts(train=[2.0] * 100, evals=[(50, 2.05), (75, 2.04), (100, 2.04)])
    assert "underfitting" not in rules(facts(train=[0.5] * 100, evals=[(50, 0.55), (75, 0.54), (100, 0.54)]))
    assert "underfitting" in rules(flat)
    falling = facts(train=[2.0] * 100, evals=[(50, 2.2), (75, 2.1), (100, 2.05)])
    assert "still_learning" in rules(falling)
    early = facts(train=[2.0] * 100, evals=[(50, 2.05), (75, 2.04), (100, 2.04)], max_steps=1000)
    assert "underfitting" not in rules(early)
    broken = facts(train=[4.8] * 100, evals=[(50, 4.85), (75, 4.84), (100, 4.84)])  # worse than guessing (4.09)
    assert "not_learning" in rules(broken) and "underfitting" not in rules(broken)


def test_more_parameters_than_characters_means_corpus_too_small():
    a = [a for a in coach.advise(facts(params=500_000, train_chars=20_000)) if a.rule == "corpus_too_small"]
    assert a and "500,000 parameters" in a[0].text and "20,000 training characters" in a[0].text
    assert "corpus_too_small" not in rules(facts(params=10_000, train_chars=20_000))
    # the capstone's intermediate start on names: never advise a bigger model to fix a too-big one
    names = facts(params=219_387, train_chars=205_330, vocab_size=28, hidden=128, layers=2)
    (b,) = [a for a in coach.advise(names) if a.rule == "corpus_too_small"]
    size = int(b.text.split("hidden size around ")[1].split()[0])
    assert size < 128 and "2 layers" in b.text


@pytest.mark.parametrize("hidden", [16, 64, 128, 256])
@pytest.mark.parametrize("layers", [1, 2])
def test_suggested_size_counts_parameters_like_the_real_model(hidden, layers):
    real = num_params(build(CharLMConfig(kind="lstm", vocab_size=70, hidden=hidden, layers=layers, embed=32)))
    assert coach.suggest_hidden(real, 70, layers=layers, choices=(hidden,)) == hidden
    assert coach.suggest_hidden(real - 1, 70, layers=layers, choices=(8, hidden)) == 8


def test_suggestions_grow_with_the_data():
    sizes = [coach.suggest_hidden(n, 65) for n in (5_000, 50_000, 500_000, 5_000_000)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1] == 256
    drops = [coach.suggest_dropout(p, 100_000) for p in (1_000, 30_000, 80_000, 200_000, 1_000_000)]
    assert drops == sorted(drops) and drops[0] == 0.0 and drops[-1] == 0.5


def test_facts_can_be_read_from_a_job_progress():
    from core.jobs.registry import Progress

    p = Progress(job_id="j", learner_id=1, title="t", corpus="c", state="running", queue_position=0, step=1,
                 max_steps=10, seconds_budget=100, elapsed_s=5.0, chars_per_s=1.0, params=1000, vocab_size=30,
                 train_chars=900, val_chars=100, memory_mb=1.0, lr=3e-3, clip=1.0, dropout=0.1, hidden=64,
                 train=((1, 3.0),), grad_norms=(1.0,))
    f = coach.RunFacts.of(p)
    assert f.params == 1000 and f.train_chars == 900 and f.hidden == 64 and f.train == ((1, 3.0),)
