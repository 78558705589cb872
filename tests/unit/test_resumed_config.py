"""`resume=true` continues with the run's recorded config plus the resuming command's own overrides."""

import json
import logging

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError

from tests.conftest import TINY, compose_train
from transferlab.runs.lifecycle import resumed_config


@pytest.fixture
def recorded_run(tmp_path):
    """A run directory whose run.json records the config of a tiny run with seed 7 and 3 epochs."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    original = compose_train([*TINY, "seed=7", "trainer.max_epochs=3", "optimizer.lr=1e-3"], run_dir)
    record = {"status": "interrupted", "config": OmegaConf.to_container(original, resolve=True)}
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return run_dir


def test_recorded_config_is_used_without_repeating_overrides(recorded_run):
    cfg = compose_train(["resume=true"], recorded_run)
    resumed = resumed_config(cfg, recorded_run, ["resume=true", f"hydra.run.dir={recorded_run}"])

    assert (resumed.seed, resumed.trainer.max_epochs, resumed.optimizer.lr) == (7, 3, 1e-3)
    assert resumed.model.pretrained is None  # tiny_random, not the default MiniLM
    assert resumed.resume is True
    assert resumed.paths.run_dir == str(recorded_run)


def test_this_commands_overrides_win(recorded_run, caplog):
    cfg = compose_train(["resume=true", "trainer.max_epochs=5", "model=minilm_l6"], recorded_run)
    overrides = ["resume=true", "trainer.max_epochs=5", "model=minilm_l6"]
    with caplog.at_level(logging.INFO):
        resumed = resumed_config(cfg, recorded_run, overrides)

    assert resumed.trainer.max_epochs == 5
    assert resumed.model.pretrained == cfg.model.pretrained  # the group override replaced the whole node
    assert resumed.seed == 7
    assert "with this command's overrides of trainer.max_epochs, model applied" in caplog.text


def test_resumed_config_stays_strict(recorded_run):
    resumed = resumed_config(compose_train(["resume=true"], recorded_run), recorded_run, None)
    with pytest.raises(ConfigAttributeError):
        _ = resumed.no_such_key


def test_directory_without_run_keeps_the_given_config(tmp_path):
    cfg = compose_train(["resume=true", "seed=3"], tmp_path)
    assert resumed_config(cfg, tmp_path, ["resume=true", "seed=3"]) is cfg
