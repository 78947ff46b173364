import pytest
import torch

from core.lessons import speedbench

TINY = speedbench.BenchConfig(lengths=(4, 8), width=8, heads=2, batch=2, repeats=1)


def test_benchmark_times_every_model_length_and_mode_and_reports_progress():
    seen = []
    result = speedbench.run(TINY, torch.device("cpu"), on_step=lambda f, what: seen.append((f, what)))
    assert len(result.rows) == 2 * 2 * 2
    assert {(r["model"], r["length"], r["mode"]) for r in result.rows} == {
        (m, n, mode) for m in speedbench.MODELS for n in (4, 8) for mode in speedbench.MODES}
    assert all(r["ms_per_sequence"] > 0 for r in result.rows)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] == 1.0
    assert result.device.startswith("cpu:") and result.gpu == {}
    assert result.config["width"] == 8 and set(result.params) == set(speedbench.MODELS)


def test_both_models_map_a_batch_to_the_same_width_and_backward_reaches_every_weight():
    models = speedbench.build(TINY, torch.device("cpu"))
    x = torch.randn(2, 5, 8)
    for model in models.values():
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        assert out.shape == (2, 5, 8)
        model.train()
        speedbench.time_call(model, x, backward=True)
        assert all(p.grad is not None for p in model.parameters())


def test_sequential_steps_grow_with_length_only_for_the_lstm():
    assert speedbench.sequential_steps("LSTM", 100, 2) == 200
    assert speedbench.sequential_steps("Transformer encoder", 100, 2) == 2


def test_growth_is_the_ratio_of_longest_to_shortest():
    rows = [{"model": "LSTM", "mode": "forward", "length": n, "ms_per_sequence": t} for n, t in ((8, 2.0), (2, 0.5))]
    assert speedbench.growth(rows, "LSTM", "forward") == pytest.approx(4.0)
    with pytest.raises(ValueError):
        speedbench.growth(rows[:1], "LSTM", "forward")


@pytest.mark.parametrize("bad", [dict(width=10, heads=4), dict(lengths=()), dict(lengths=(0, 8)),
                                 dict(lengths=(10_000,)), dict(repeats=0)])
def test_bad_configs_are_clear_errors(bad):
    with pytest.raises(ValueError):
        speedbench.run(speedbench.BenchConfig(**{**TINY.__dict__, **bad}))


def test_gpu_sampler_is_inert_on_cpu():
    with speedbench.UtilSampler(torch.device("cpu")) as util:
        pass
    assert util.samples == [] and util.error == ""


def test_busy_factor_compares_wall_clock_with_cpu_time():
    rows = [{"ms_per_sequence": 4.0, "cpu_ms_per_sequence": 1.0}, {"ms_per_sequence": 2.0, "cpu_ms_per_sequence": 2.0}]
    assert speedbench.busy_factor(rows) == pytest.approx(2.0)
    result = speedbench.run(TINY)
    assert all(r["cpu_ms_per_sequence"] >= 0 for r in result.rows)


def _row(model, mode, length, ms):
    return {"model": model, "mode": mode, "length": length, "ms_per_sequence": ms}


def test_summary_reports_growth_and_the_faster_model_at_the_longest_length_per_mode():
    lstm, tf = speedbench.MODELS
    rows = [_row(lstm, "forward", 16, 1.0), _row(lstm, "forward", 64, 4.0), _row(tf, "forward", 16, 2.0),
            _row(tf, "forward", 64, 3.0), _row(lstm, "forward + backward", 16, 2.0),
            _row(lstm, "forward + backward", 64, 6.0), _row(tf, "forward + backward", 16, 1.0),
            _row(tf, "forward + backward", 64, 8.0)]
    fwd, both = speedbench.summary(rows)
    assert (fwd.mode, both.mode) == speedbench.MODES
    assert fwd.growth == {lstm: 4.0, tf: 1.5} and fwd.longest == 64
    assert fwd.ms_at_longest == {lstm: 4.0, tf: 3.0} and fwd.faster == tf
    assert both.growth == {lstm: 3.0, tf: 8.0} and both.faster == lstm


def test_lengths_up_to_doubles_from_sixteen():
    assert speedbench.lengths_up_to(32) == (16, 32)
    assert speedbench.lengths_up_to(1024) == speedbench.LENGTHS
