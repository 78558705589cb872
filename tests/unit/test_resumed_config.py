"""`resume=true` composes the run's recorded overrides again, followed by the resuming command's own."""

import json
import logging

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf, open_dict

from transferlab.config import CONFIG_DIR
from transferlab.errors import ConfigError
from transferlab.runs.resume_config import merge_overrides, resumed_config


def test_merge_replaces_overrides_of_the_same_key():
    recorded = ["model=tiny_random", "seed=7", "trainer.max_epochs=3", "+callbacks.x._target_=a.B"]
    new = ["resume=true", "trainer.max_epochs=5", "hydra.run.dir=/somewhere", "~callbacks.x"]
    assert merge_overrides(recorded, new) == ["model=tiny_random", "seed=7", "trainer.max_epochs=5", "~callbacks.x"]


def test_merge_drops_command_only_overrides():
    recorded = ["seed=7", "ckpt_path=/a/b.ckpt", "hydra.job.chdir=false"]
    assert merge_overrides(recorded, ["resume=true"]) == ["seed=7"]


@pytest.fixture
def hydra_job():
    """Compose `train` as a running Hydra job would, with HydraConfig set; yields a function of the overrides."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):

        def compose_job(overrides):
            cfg = compose("train", overrides=overrides, return_hydra_config=True)
            HydraConfig.instance().set_config(cfg)
            with open_dict(cfg):
                del cfg["hydra"]
            return cfg

        yield compose_job
    HydraConfig.instance().cfg = None


def record_run(run_dir, compose_job, overrides, precision="32-true"):
    cfg = compose_job(overrides)
    record = {
        "status": "interrupted",
        "config": OmegaConf.to_container(cfg, resolve=True),
        "overrides": overrides,
        "accelerator": {"precision": precision},
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")


def test_resume_recomposes_the_recorded_overrides(tmp_path, hydra_job):
    run_dir = tmp_path / "run"
    record_run(run_dir, hydra_job, ["model=tiny_random", "seed=7", "trainer.max_epochs=3", f"paths.run_dir={run_dir}"])
    new = ["resume=true", f"paths.run_dir={run_dir}"]

    resumed, overrides = resumed_config(hydra_job(new), run_dir, new)

    assert (resumed.seed, resumed.trainer.max_epochs, resumed.model.pretrained) == (7, 3, None)
    assert resumed.resume is True
    assert overrides == ["model=tiny_random", "seed=7", "trainer.max_epochs=3"]  # the run directory is not a run setting


def test_resume_overrides_win_and_groups_keep_values(tmp_path, hydra_job):
    run_dir = tmp_path / "run"
    record_run(run_dir, hydra_job, ["model=tiny_random", "trainer.max_epochs=3", f"paths.run_dir={run_dir}"])
    new = ["resume=true", "optimizer.lr=0.001", "trainer=auto", f"paths.run_dir={run_dir}"]

    resumed, _ = resumed_config(hydra_job(new), run_dir, new)

    assert resumed.optimizer.lr == 0.001
    assert resumed.trainer.accelerator == "auto"
    assert resumed.trainer.max_epochs == 3  # the recorded value survives the group override


def test_moved_run_writes_into_its_new_directory(tmp_path, hydra_job):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    record_run(new_dir, hydra_job, ["model=tiny_random", f"paths.run_dir={old_dir}"])
    new = ["resume=true", f"paths.run_dir={new_dir}"]

    resumed, _ = resumed_config(hydra_job(new), new_dir, new)

    assert resumed.paths.run_dir == str(new_dir)
    assert resumed.callbacks.model_checkpoint.dirpath == f"{new_dir}/checkpoints"


def test_auto_precision_keeps_the_recorded_one(tmp_path, hydra_job, caplog):
    run_dir = tmp_path / "run"
    record_run(run_dir, hydra_job, ["model=tiny_random", f"paths.run_dir={run_dir}"], precision="bf16-mixed")
    new = ["resume=true", f"paths.run_dir={run_dir}"]
    with caplog.at_level(logging.INFO):
        resumed, _ = resumed_config(hydra_job(new), run_dir, new)
    assert resumed.trainer.precision == "bf16-mixed"
    assert "keeping bf16-mixed, the precision the run started with" in caplog.text


def test_older_run_json_overrides_come_from_its_command(tmp_path, hydra_job, caplog):
    run_dir = tmp_path / "run"
    record_run(run_dir, hydra_job, ["model=tiny_random", "seed=7"])
    record = json.loads((run_dir / "run.json").read_text())
    del record["overrides"]
    record["command"] = ["/usr/bin/python", "/x/transferlab-train", "model=tiny_random", "seed=7", "--multirun"]
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    new = ["resume=true", f"paths.run_dir={run_dir}"]

    with caplog.at_level(logging.WARNING):
        resumed, overrides = resumed_config(hydra_job(new), run_dir, new)
    assert (resumed.seed, overrides) == (7, ["model=tiny_random", "seed=7"])
    assert "records no overrides; using those of its command line" in caplog.text


def test_run_started_from_python_rejected(tmp_path, hydra_job):
    run_dir = tmp_path / "run"
    record_run(run_dir, hydra_job, ["seed=7"])
    record = json.loads((run_dir / "run.json").read_text())
    record["overrides"] = None
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    new = ["resume=true", f"paths.run_dir={run_dir}"]
    with pytest.raises(ConfigError, match="was started from Python"):
        resumed_config(hydra_job(new), run_dir, new)


def test_uncomposable_overrides_name_the_recorded_ones(tmp_path, hydra_job):
    run_dir = tmp_path / "run"
    record_run(run_dir, hydra_job, ["model=tiny_random", "~callbacks.step_checkpoint"])
    new = ["resume=true", "callbacks.step_checkpoint.every_n_train_steps=5", f"paths.run_dir={run_dir}"]
    with pytest.raises(ConfigError, match=r"from its recorded overrides \(model=tiny_random ~callbacks.step_checkpoint\)"):
        resumed_config(hydra_job(new), run_dir, new)


def test_outside_hydra_the_given_config_is_used(tmp_path):
    from tests.conftest import compose_train

    cfg = compose_train(["resume=true", "seed=3"], tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"status": "interrupted", "overrides": ["seed=7"]}), encoding="utf-8")
    assert resumed_config(cfg, tmp_path, None) == (cfg, None)


def test_changes_to_restored_state_get_a_warning(caplog):
    from transferlab.runs.lifecycle import _warn_config_changes

    before = {"optimizer": {"lr": 5e-5}, "trainer": {"max_epochs": 2}, "seed": 1}
    after = {"optimizer": {"lr": 1e-3}, "trainer": {"max_epochs": 3}, "seed": 1}
    with caplog.at_level(logging.WARNING):
        changes = _warn_config_changes(before, after)
    assert changes == ["optimizer.lr: 5e-05 -> 0.001", "trainer.max_epochs: 2 -> 3"]
    assert "changes under optimizer may not take effect" in caplog.text
