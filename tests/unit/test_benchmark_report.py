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


def test_like_for_like_default_loop_substitutes():
    from benchmarks.run import like_for_like

    bf16_run = {**_result(134.0, 680.0), "extra": {"precision": "bf16-mixed"}}
    runs = {
        "transferlab": [bf16_run],
        "transferlab_fp32": [_result(76.0, 274.0)],
        "minimal_fused": [_result(76.0, 280.0)],
        "minimal_bf16_fused": [_result(134.0, 750.0)],
    }
    rows = {row["comparison"].split(":")[0]: row for row in like_for_like(median_results(runs), runs)}

    assert rows["train, fp32 + fused AdamW"]["ratio"] == 1.0
    assert round(rows["eval, bf16"]["ratio"], 3) == round(680 / 750, 3)
    assert "the default transferlab loop, which ran in bf16-mixed" in rows["eval, bf16"]["comparison"]


def test_like_for_like_precision_mismatch_skipped():
    from benchmarks.run import like_for_like

    runs = {"transferlab": [{**_result(76.0, 274.0), "extra": {"precision": "32-true"}}], "minimal_bf16_fused": [_result(134.0, 750.0)]}
    assert like_for_like(median_results(runs), runs) == []
