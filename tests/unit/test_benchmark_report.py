"""The benchmark harness's arithmetic: medians over rounds and target ratios."""

from __future__ import annotations

from benchmarks.run import check_targets, median_results


def _result(train: float, evaluation: float) -> dict:
    return {"train_samples_per_s": train, "eval_samples_per_s": evaluation, "train_samples_per_cpu_s": train / 2,
            "eval_samples_per_cpu_s": evaluation / 2, "first_step_s": 10.0, "peak_rss_mib": 1000.0, "eval_accuracy": 0.5}


def test_median_results_take_middle_round():
    medians = median_results({"minimal": [_result(50, 200), _result(10, 100), _result(52, 240)]})
    assert medians["minimal"]["train_samples_per_s"] == 50
    assert medians["minimal"]["eval_samples_per_s"] == 200
    assert medians["minimal"]["runs"] == 3


def test_targets_pass_and_fail_by_ratio():
    medians = median_results({
        "transferlab": [_result(50.0, 230.0)],
        "minimal": [_result(51.0, 240.0)],
        "tutorial": [_result(17.0, 40.0)],
        "hf_trainer": [_result(55.0, 210.0)],
    })
    checks = {check["target"]: check for check in check_targets(medians)}
    assert checks["train throughput >= 0.97x minimal loop"]["passed"]
    assert not checks["train throughput >= 3x tutorial loop"]["passed"]
    assert not checks["train throughput >= 1x HF Trainer"]["passed"]
    assert not checks["eval throughput >= 1x minimal loop"]["passed"]
    assert round(checks["train throughput >= 3x tutorial loop"]["ratio"], 3) == round(50 / 17, 3)


def test_targets_skip_loops_not_run():
    assert check_targets(median_results({"transferlab": [_result(50.0, 230.0)]})) == []
