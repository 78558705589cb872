import json

import pytest

from tests.conftest import write_csv
from transferlab.data.tabular import TabularSource, infer_format, read_table
from transferlab.errors import DataError


def test_csv_reads_text_and_label(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("good film", "pos"), ("bad, slow film", "neg")])
    examples = read_table(path, "text", "label")
    assert [(e.text, e.label) for e in examples] == [("good film", "pos"), ("bad, slow film", "neg")]
    assert examples[1].origin == f"{path.resolve()}:3"


def test_tsv_and_integer_labels(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("sentence\ty\nfirst\t0\nsecond\t1\n", encoding="utf-8")
    examples = read_table(path, "sentence", "y")
    assert [e.label for e in examples] == ["0", "1"]


def test_jsonl_keeps_chinese_text(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [{"text": "这部电影很好看", "label": "正面"}, {"text": "太无聊了", "label": 0}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    examples = read_table(path, "text", "label")
    assert examples[0].text == "这部电影很好看"
    assert examples[0].label == "正面"
    assert examples[1].label == "0"


def test_missing_file_names_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as error:
        read_table("nowhere.csv", "text", "label")
    assert str(tmp_path / "nowhere.csv") in str(error.value)


def test_missing_column_lists_columns(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("a", "b")], header=("review", "label"))
    with pytest.raises(DataError) as error:
        read_table(path, "text", "label")
    message = str(error.value)
    assert "'text'" in message
    assert "review, label" in message


def test_jsonl_missing_key_names_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"body": "b", "label": "y"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"d\.jsonl:2: missing key 'text'"):
        read_table(path, "text", "label")


def test_jsonl_invalid_json_names_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"d\.jsonl:2: invalid JSON"):
        read_table(path, "text", "label")


def test_csv_extra_field_names_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nfine,pos\nnot,fine,neg\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"d\.csv:3: the row has more fields"):
        read_table(path, "text", "label")


def test_empty_label_names_line(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("fine", "pos"), ("no label", "")])
    with pytest.raises(DataError, match=r"d\.csv:3: empty value in label column"):
        read_table(path, "text", "label")


def test_non_utf8_file_is_rejected(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("text,label\ncaf\xe9,pos\n".encode("latin-1"))
    with pytest.raises(DataError, match="not valid UTF-8"):
        read_table(path, "text", "label")


def test_unknown_suffix_asks_for_format(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="data.source.format"):
        infer_format(path)
    assert infer_format(path, "tsv") == "tsv"


def test_source_alone_train_file_is_split_later(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("a", "x"), ("b", "y")])
    loaded = TabularSource(str(path)).load()
    assert list(loaded) == ["all"]
    assert len(loaded["all"]) == 2


def test_source_needs_validation_and_test_together(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("a", "x")])
    with pytest.raises(DataError, match="together"):
        TabularSource(str(path), validation_file=str(path)).load()
    loaded = TabularSource(str(path), validation_file=str(path), test_file=str(path)).load()
    assert set(loaded) == {"train", "validation", "test"}
