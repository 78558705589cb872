"""Two-stage transfer: a new model from the encoder of an earlier one, with a head for new labels."""

import logging

import pytest
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    BertConfig,
    BertForSequenceClassification,
)

from transferlab.errors import ConfigError
from transferlab.models.init_from import init_from_run

SOURCE_LABELS = {0: "fresh", 1: "rotten"}
TARGET_LABELS = {0: "business", 1: "politics", 2: "sport"}


@pytest.fixture
def source_run(tmp_path):
    """A finished run directory with a 2-label sentiment model in model/."""
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2,
                        id2label=SOURCE_LABELS, label2id={v: k for k, v in SOURCE_LABELS.items()})
    model = BertForSequenceClassification(config)
    model.save_pretrained(tmp_path / "run" / "model")
    return tmp_path / "run", model


def test_encoder_loaded_and_new_head_sized_for_target(source_run, caplog):
    run_dir, source = source_run
    with caplog.at_level(logging.INFO, logger="transferlab"):
        model = init_from_run(AutoModelForSequenceClassification, str(run_dir), TARGET_LABELS)

    source_state, state = source.state_dict(), model.state_dict()
    encoder_keys = [k for k in source_state if k.startswith("bert.")]
    assert encoder_keys and all(torch.equal(state[k], source_state[k]) for k in encoder_keys)
    assert model.classifier.weight.shape == (3, 16)
    assert model.config.id2label == TARGET_LABELS
    assert "newly initialised: classifier.bias, classifier.weight" in caplog.text
    assert "not used from the source: classifier.bias, classifier.weight" in caplog.text


def test_same_label_count_still_gets_a_new_head(source_run):
    run_dir, source = source_run
    model = init_from_run(AutoModelForSequenceClassification, str(run_dir), {0: "negative", 1: "positive"})
    assert model.classifier.weight.shape == source.classifier.weight.shape
    assert not torch.equal(model.classifier.weight, source.classifier.weight)


def test_reused_head_with_other_label_count_is_an_error(source_run):
    run_dir, _ = source_run
    with pytest.raises(ConfigError, match="2 labels, but the data has 3"):
        init_from_run(AutoModelForSequenceClassification, str(run_dir), TARGET_LABELS, reinit_head=False)


def test_reused_head_with_other_label_names_is_an_error(source_run):
    run_dir, _ = source_run
    with pytest.raises(ConfigError, match="predicts"):
        init_from_run(AutoModelForSequenceClassification, str(run_dir), {0: "rotten", 1: "fresh"}, reinit_head=False)


def test_reused_head_with_same_labels_is_loaded(source_run):
    run_dir, source = source_run
    model = init_from_run(AutoModelForSequenceClassification, str(run_dir), SOURCE_LABELS, reinit_head=False)
    assert torch.equal(model.classifier.weight, source.classifier.weight)


def test_reused_head_of_other_task_is_an_error(source_run):
    run_dir, _ = source_run
    with pytest.raises(ConfigError, match="BertForSequenceClassification"):
        init_from_run(AutoModelForTokenClassification, str(run_dir), SOURCE_LABELS, reinit_head=False)


def test_token_classification_from_sentence_run(source_run):
    run_dir, source = source_run
    model = init_from_run(AutoModelForTokenClassification, str(run_dir), TARGET_LABELS)
    assert torch.equal(model.bert.encoder.layer[1].output.dense.weight, source.bert.encoder.layer[1].output.dense.weight)
    assert model.classifier.weight.shape == (3, 16)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_directory_without_model_is_an_error(tmp_path, make):
    path = tmp_path / "run"
    if make == "empty":
        path.mkdir()
    with pytest.raises(ConfigError, match="model.init_from"):
        init_from_run(AutoModelForSequenceClassification, str(path), TARGET_LABELS)
