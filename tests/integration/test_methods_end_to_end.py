"""LoRA, distillation and two-stage transfer through the whole training pipeline, on a tiny model."""

import json
import logging
import shutil

import pytest
import torch

from tests.conftest import TINY, compose_train, write_csv
from transferlab.errors import ConfigError
from transferlab.runs.training import run_training

WORDS = {
    "good": ["great", "lovely", "superb", "moving", "funny", "clever"],
    "bad": ["dull", "boring", "awful", "clumsy", "tedious", "bland"],
    "mixed": ["uneven", "patchy", "odd", "middling", "so-so", "flawed"],
}
SMALL = ["data.max_eval_samples=8", "data.max_test_samples=8", "data.batch_size=8", "trainer.max_epochs=1"]


def _write_data(path, labels):
    rows = [(f"a {word} film, {WORDS[label][(i + 1) % 6]} acting", label)
            for label in labels for i, word in enumerate(WORDS[label] * 4)]
    return write_csv(path, rows)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A tiny random BERT encoder (no head) saved as a local model directory, and two CSV datasets."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from transferlab.resources import packaged_path

    root = tmp_path_factory.mktemp("methods")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(root / "base")
    AutoTokenizer.from_pretrained(packaged_path("minilm-l6")).save_pretrained(root / "base")
    return {
        "root": root,
        "base": root / "base",
        "two_labels": _write_data(root / "two.csv", ["good", "bad"]),
        "three_labels": _write_data(root / "three.csv", ["good", "bad", "mixed"]),
    }


def _overrides(workspace, data="two_labels"):
    return TINY + SMALL + [
        "model=local", f"model.pretrained={workspace['base']}",
        "data=csv", f"data.source.train_file={workspace[data]}",
    ]


def _run(workspace, name, extra, data="two_labels"):
    run_dir = workspace["root"] / name
    cfg = compose_train(_overrides(workspace, data) + extra, run_dir)
    return run_training(cfg), run_dir, cfg


def _best_checkpoint(run_dir):
    (path,) = (run_dir / "checkpoints").glob("best-*.ckpt")
    return torch.load(path, map_location="cpu", weights_only=False)


@pytest.fixture(scope="module")
def source_run(workspace):
    """A fully fine-tuned 2-label run: the teacher and the transfer source of the tests below."""
    _, run_dir, _ = _run(workspace, "source", ["optimizer.lr=1e-3"])
    return run_dir


@pytest.fixture(scope="module")
def lora_run(workspace):
    return _run(workspace, "lora", ["method=lora", "method.target_modules=[query,value]", "optimizer.lr=1e-2"])


def test_lora_checkpoint_holds_trainable_weights_only(lora_run):
    _, run_dir, _ = lora_run
    state = _best_checkpoint(run_dir)["state_dict"]
    assert state and all("lora_" in key or "modules_to_save" in key for key in state)
    assert any("classifier" in key for key in state)
    saved = sum(tensor.numel() for tensor in state.values())
    assert saved < 10_000  # the full model has about 1M parameters, mostly embeddings


def test_lora_checkpoint_adapter_and_merged_export_agree(lora_run):
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, pipeline

    from transferlab.models.backbone import load_tokenizer
    from transferlab.runs.training import build_model, prepare_data
    from transferlab.tasks import build_task

    _, run_dir, cfg = lora_run
    tokenizer = load_tokenizer(cfg.model.tokenizer)
    texts = ["a superb film, lovely acting", "a dull film", "uneven but funny"]
    inputs = tokenizer(texts, padding=True, return_tensors="pt")

    prepared = prepare_data(cfg)
    _, module = build_model(cfg, build_task(cfg.data.task), prepared, tokenizer)
    module.load_state_dict(_best_checkpoint(run_dir)["state_dict"])
    base = AutoModelForSequenceClassification.from_pretrained(cfg.model.pretrained)
    adapter = PeftModel.from_pretrained(base, run_dir / "adapter")
    merged = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    with torch.no_grad():
        from_checkpoint = module.model.eval()(**inputs).logits
        from_adapter = adapter.eval()(**inputs).logits
        from_merged = merged.eval()(**inputs).logits
    assert torch.allclose(from_adapter, from_checkpoint, atol=1e-5)
    assert torch.allclose(from_merged, from_checkpoint, atol=1e-5)
    assert not any("lora" in name for name, _ in merged.named_parameters())

    scores = pipeline("text-classification", model=str(run_dir / "model"), top_k=None)(texts)
    expected = from_merged.softmax(-1)
    for row, predicted in enumerate(scores):
        for entry in predicted:
            assert entry["score"] == pytest.approx(expected[row, merged.config.label2id[entry["label"]]].item(), abs=1e-5)


def test_lora_run_tests_best_checkpoint(lora_run):
    objective, run_dir, _ = lora_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert objective == metrics["val/acc"]
    assert "test/acc" in metrics


def test_lora_unknown_target_fails_before_training(workspace, caplog):
    with pytest.raises(ConfigError, match=r"\['attn'\] match no linear layer"):
        _run(workspace, "lora_bad", ["method=lora", "method.target_modules=[query,attn]"])
    assert not (workspace["root"] / "lora_bad" / "checkpoints").exists()


def test_distilled_layer_subset_student(workspace, source_run, caplog):
    from transformers import AutoModelForSequenceClassification

    with caplog.at_level(logging.INFO, logger="transferlab"):
        objective, run_dir, _ = _run(
            workspace, "distill", ["method=distill", f"method.teacher={source_run}", "model.keep_layers=[1]",
                                   "trainer.max_epochs=2"],
        )
    assert objective is not None
    assert "Loaded teacher BertForSequenceClassification" in caplog.text
    assert "Kept layers [1] of 2" in caplog.text
    state = _best_checkpoint(run_dir)["state_dict"]
    assert state and not any(key.startswith("teacher.") for key in state)
    student = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    assert student.config.num_hidden_layers == 1
    assert len(student.bert.encoder.layer) == 1


def test_distill_label_mismatch_fails_before_training(workspace, source_run):
    with pytest.raises(ConfigError, match="predicts"):
        _run(workspace, "distill_labels", ["method=distill", f"method.teacher={source_run}"], data="three_labels")
    assert not (workspace["root"] / "distill_labels" / "checkpoints").exists()


def test_distill_vocabulary_mismatch_fails_before_training(workspace, source_run, tmp_path):
    from transformers import BertTokenizerFast

    teacher = tmp_path / "teacher"
    shutil.copytree(source_run / "model", teacher)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (teacher / name).unlink(missing_ok=True)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "film", "good"]) + "\n")
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(teacher)
    with pytest.raises(ConfigError, match="same tokenizer"):
        _run(workspace, "distill_vocab", ["method=distill", f"method.teacher={teacher}"])


def test_init_from_run_with_other_label_count(workspace, source_run, caplog):
    from transformers import AutoModelForSequenceClassification

    with caplog.at_level(logging.INFO, logger="transferlab"):
        objective, run_dir, _ = _run(workspace, "transfer", [f"model.init_from={source_run}"], data="three_labels")
    assert objective is not None
    assert "loaded 39 tensors (encoder); newly initialised: classifier.bias, classifier.weight" in caplog.text
    exported = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    assert exported.config.num_labels == 3


def test_init_from_reused_head_with_other_label_count_fails(workspace, source_run):
    with pytest.raises(ConfigError, match="2 labels, but the data has 3"):
        _run(workspace, "transfer_head", [f"model.init_from={source_run}", "model.reinit_head=false"], data="three_labels")


def test_init_from_missing_run_fails_at_config_check(workspace, tmp_path):
    with pytest.raises(ConfigError, match="model.init_from=.*does not exist"):
        _run(workspace, "transfer_missing", [f"model.init_from={tmp_path / 'nowhere'}"])


def _write_conll(path, count, seed):
    import random

    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        name = rng.choice([["Anna"], ["Li", "Wei"], ["Jean", "Paul"]])
        tags = ["B-PER"] + ["I-PER"] * (len(name) - 1)
        for word, tag in zip(["today"] + name + ["visited", "Paris"], ["O"] + tags + ["O", "B-LOC"]):
            lines.append(f"{word}\t{tag}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_token_classification_lora_then_distill(workspace):
    from transformers import AutoModelForTokenClassification

    files = {split: _write_conll(workspace["root"] / f"{split}.conll", count, seed)
             for split, count, seed in (("train", 32, 0), ("validation", 8, 1), ("test", 8, 2))}
    data = ["data=conll", "objective=val/f1"] + [
        f"data.source.{split}_file={path}" for split, path in files.items()
    ]
    _, lora_dir, _ = _run(workspace, "ner_lora", data + ["method=lora", "optimizer.lr=1e-2"])
    state = _best_checkpoint(lora_dir)["state_dict"]
    assert state and all("lora_" in key or "modules_to_save" in key for key in state)
    tagger = AutoModelForTokenClassification.from_pretrained(lora_dir / "model")
    assert set(tagger.config.id2label.values()) == {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}

    objective, student_dir, _ = _run(
        workspace, "ner_distill", data + ["method=distill", f"method.teacher={lora_dir}", "model.keep_layers=[0]"]
    )
    assert objective is not None
    student = AutoModelForTokenClassification.from_pretrained(student_dir / "model")
    assert student.config.num_hidden_layers == 1
