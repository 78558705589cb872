"""Every config in conf/ and experiments/ composes, and its components instantiate."""

import re

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from tests.conftest import REPO_ROOT, compose_train
from transferlab.config import CONFIG_DIR

# Groups whose options are composed with the training config; `hydra`, `paths` and private
# `_*.yaml` partials are covered through the primary config.
SKIP_GROUPS = {"hydra", "paths", "experiment"}
# Options that need a value from the user before they compose fully.
REQUIRED_VALUES = {
    ("data", "csv"): ["data.source.train_file=/tmp/train.csv"],
    ("data", "conll"): ["data.source.train_file=/tmp/train.conll"],
    ("model", "local"): ["model.pretrained=/tmp/model"],
}


def _group_options():
    for group_dir in sorted(p for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name not in SKIP_GROUPS):
        for path in sorted(group_dir.glob("*.yaml")):
            if not path.name.startswith("_"):
                yield group_dir.name, path.stem


def _experiments():
    return sorted(p.stem for p in (REPO_ROOT / "experiments").glob("*.yaml"))


def test_every_key_in_conf_has_a_comment():
    key_line = re.compile(r"^\s*[\w./@-]+:")
    missing = []
    for path in sorted(CONFIG_DIR.rglob("*.yaml")) + sorted((REPO_ROOT / "experiments").glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if key_line.match(line) and line.strip() != "defaults:" and "#" not in line:
                missing.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not missing, "keys without a comment:\n" + "\n".join(missing)


def test_primary_config_composes(tmp_path):
    cfg = compose_train([], tmp_path)
    assert cfg.data.task == "sequence_classification"
    assert cfg.model.pretrained == "minilm-l6"
    assert OmegaConf.to_container(cfg, resolve=True)["paths"]["run_dir"] == str(tmp_path)


@pytest.mark.parametrize("group, option", list(_group_options()))
def test_group_option_composes(group, option, tmp_path):
    overrides = [f"{group}={option}"] + REQUIRED_VALUES.get((group, option), [])
    cfg = compose_train(overrides, tmp_path)
    node = OmegaConf.to_container(cfg[group], resolve=True) if cfg.get(group) is not None else None
    if isinstance(node, dict) and "_target_" in node and group in ("optimizer", "scheduler", "method"):
        assert instantiate(cfg[group]) is not None
    if group == "data":
        source = instantiate(cfg.data.source)
        assert hasattr(source, "load")


@pytest.mark.parametrize("name", _experiments())
def test_experiment_composes(name, tmp_path):
    cfg = compose_train([f"experiment={name}"], tmp_path)
    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert cfg.task_name


def test_experiment_presets_are_global_packages():
    for path in (REPO_ROOT / "experiments").glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# @package _global_"), path
