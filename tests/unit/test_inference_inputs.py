import json

import pytest

from transferlab.errors import DataError
from transferlab.inference.inputs import input_format, read_inputs

SEQUENCE = "sequence_classification"
TOKEN = "token_classification"


def test_text_lines_skip_blanks(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("first line\n\n  \n第二行 中文\n", encoding="utf-8")
    examples = read_inputs(path, SEQUENCE)
    assert [e.text for e in examples] == ["first line", "第二行 中文"]
    assert examples[1].origin.endswith("in.txt:4")
    assert all(e.label is None for e in examples)


def test_jsonl_for_token_task_splits_words(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": "Ada  visited Paris"}) + "\n", encoding="utf-8")
    (example,) = read_inputs(path, TOKEN)
    assert example.text == ("Ada", "visited", "Paris")


def test_conll_words_without_tags(tmp_path):
    path = tmp_path / "in.conll"
    path.write_text("-DOCSTART- O\n\nAda B-PER\nLovelace I-PER\n\n\nParis\nrocks\n", encoding="utf-8")
    examples = read_inputs(path, TOKEN)
    assert [e.text for e in examples] == [("Ada", "Lovelace"), ("Paris", "rocks")]
    assert examples[1].origin.endswith("in.conll:7")
    assert examples[0].label is None


@pytest.mark.parametrize(
    "name, task, message",
    [
        ("in.xml", SEQUENCE, r"unknown input format for .*in\.xml"),
        ("noext", SEQUENCE, r"suffix '\(none\)'"),
        ("in.conll", SEQUENCE, "only a token_classification run"),
    ],
)
def test_bad_inputs_rejected(tmp_path, name, task, message):
    path = tmp_path / name
    path.write_text("word O\n", encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_inputs(path, task)


def test_text_has_no_labels(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no labels"):
        read_inputs(path, SEQUENCE, label_column="label")


def test_missing_file_and_explicit_format(tmp_path):
    with pytest.raises(DataError, match="input file not found"):
        read_inputs(tmp_path / "absent.txt", SEQUENCE)
    assert input_format(tmp_path / "data.weird", "tsv") == "tsv"


def test_token_task_rejects_empty_text(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text\nAda went home\n\"  \"\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"in\.csv:3: empty text"):
        read_inputs(path, TOKEN)
