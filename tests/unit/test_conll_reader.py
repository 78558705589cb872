import re
from pathlib import Path

import pytest

from transferlab.data.conll import ConllSource, read_conll
from transferlab.data.packaged import WNUT16
from transferlab.data.preparation import prepare
from transferlab.data.tags import complete_tag_set, iob1_to_iob2
from transferlab.errors import ConfigError, DataError

CONLL2003_SAMPLE = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""


def write(tmp_path: Path, text: str, name: str = "data.conll", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_conll2003_layout_reads_tokens_and_tags(tmp_path):
    examples = read_conll(write(tmp_path, CONLL2003_SAMPLE))
    assert [e.text for e in examples] == [
        ("EU", "rejects", "German", "call", "."),
        ("Peter", "Blackburn"),
        ("BRUSSELS", "1996-08-22"),
    ]
    assert examples[0].label == ("B-ORG", "O", "B-MISC", "O", "O")
    assert examples[1].label == ("B-PER", "I-PER")
    assert examples[0].origin.endswith("data.conll:3")
    assert examples[2].origin.endswith("data.conll:14")


def test_docstart_inside_sentence_ends_it(tmp_path):
    text = "a O\nb B-X\n-DOCSTART- O\nc I-X\n"
    examples = read_conll(write(tmp_path, text))
    assert [e.text for e in examples] == [("a", "b"), ("c",)]


def test_crlf_tabs_and_trailing_whitespace(tmp_path):
    text = "Paris\tB-LOC  \nis\tO\t\n\n\n \t \nNew\tB-LOC\nYork\tI-LOC \n"
    examples = read_conll(write(tmp_path, text, newline="\r\n"))
    assert [e.text for e in examples] == [("Paris", "is"), ("New", "York")]
    assert examples[1].label == ("B-LOC", "I-LOC")
    assert all("\r" not in tag for e in examples for tag in e.label)


def test_several_blank_lines_are_one_separator(tmp_path):
    examples = read_conll(write(tmp_path, "\n\na O\n\n\n\nb O\n\n\n"))
    assert len(examples) == 2


def test_configurable_columns_and_delimiter(tmp_path):
    text = "B-PER\tJohn Smith\tx\nO\tslept\tx\n"
    examples = read_conll(write(tmp_path, text), token_column=1, tag_column=0, delimiter="\t")
    assert examples[0].text == ("John Smith", "slept")
    assert examples[0].label == ("B-PER", "O")


def test_chinese_text_and_bom(tmp_path):
    path = tmp_path / "zh.conll"
    path.write_bytes("\ufeff北京 B-LOC\n欢迎 O\n你 O\n".encode("utf-8"))
    examples = read_conll(path)
    assert examples[0].text == ("北京", "欢迎", "你")
    assert examples[0].label == ("B-LOC", "O", "O")


def test_iob1_converted_to_iob2(tmp_path):
    text = "John I-PER\nSmith I-PER\nMary B-PER\nand O\nBerlin I-LOC\nParis B-LOC\nRome I-LOC\n"
    examples = read_conll(write(tmp_path, text), scheme="IOB1")
    assert examples[0].label == ("B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-LOC", "I-LOC")


def test_iob1_type_change_starts_entity():
    assert iob1_to_iob2(["I-PER", "I-LOC", "O", "I-LOC"]) == ["B-PER", "B-LOC", "O", "B-LOC"]


def test_iobes_tags_kept(tmp_path):
    text = "New B-LOC\nYork E-LOC\nin O\nParis S-LOC\n"
    examples = read_conll(write(tmp_path, text), scheme="IOBES")
    assert examples[0].label == ("B-LOC", "E-LOC", "O", "S-LOC")


def error_of(path: Path, **options) -> str:
    with pytest.raises(DataError) as caught:
        read_conll(path, **options)
    return str(caught.value)


def test_wrong_column_count_names_file_and_line(tmp_path):
    path = write(tmp_path, "a NN O\nb NN O\n\nc O\n")
    message = error_of(path)
    assert f"{path}:4:" in message
    assert "expected 3 columns as on line 1, found 2" in message


@pytest.mark.parametrize("tag", ["PER", "B-", "X-PER", "b-PER", "B_PER", "O-PER"])
def test_malformed_tag_names_file_and_line(tmp_path, tag):
    path = write(tmp_path, f"a O\nb {tag}\n")
    message = error_of(path)
    assert f"{path}:2:" in message
    assert f"malformed tag {tag!r}" in message


def test_iobes_tag_rejected_under_iob2(tmp_path):
    path = write(tmp_path, "a O\n\nb S-PER\n")
    message = error_of(path)
    assert f"{path}:3:" in message
    assert "set data.source.scheme=IOBES" in message


@pytest.mark.parametrize("text", ["", "\n\n  \n", "-DOCSTART- -X- O\n\n"])
def test_file_without_sentences_rejected(tmp_path, text):
    path = write(tmp_path, text)
    assert error_of(path).startswith(f"no sentences in {path}")


def test_invalid_utf8_names_line(tmp_path):
    path = tmp_path / "latin.conll"
    path.write_bytes("a O\n\nCaf\xe9 O\n".encode("latin-1"))
    message = error_of(path)
    assert f"{path}:3:" in message
    assert "not valid UTF-8" in message


def test_tag_column_out_of_range(tmp_path):
    path = write(tmp_path, "a O\n")
    message = error_of(path, tag_column=3)
    assert f"{path}:1:" in message
    assert "data.source.tag_column=3" in message


def test_missing_file_rejected(tmp_path):
    assert "CoNLL file not found" in error_of(tmp_path / "absent.conll")


def test_unknown_scheme_rejected(tmp_path):
    with pytest.raises(ConfigError, match="data.source.scheme must be one of"):
        ConllSource(train_file=str(write(tmp_path, "a O\n")), scheme="BILOU")


def test_source_needs_validation_and_test_together(tmp_path):
    path = str(write(tmp_path, "a O\n"))
    with pytest.raises(DataError, match="validation_file and data.source.test_file together"):
        ConllSource(train_file=path, validation_file=path).load()


def test_source_reads_three_files(tmp_path):
    files = {split: str(write(tmp_path, f"{split} B-X\n", f"{split}.conll")) for split in ("train", "validation", "test")}
    loaded = ConllSource(files["train"], files["validation"], files["test"]).load()
    assert {split: [e.text for e in examples] for split, examples in loaded.items()} == {
        "train": [("train",)],
        "validation": [("validation",)],
        "test": [("test",)],
    }


def test_tag_set_completed_with_inside_tags():
    assert complete_tag_set({"O", "B-PER", "B-LOC"}) == {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}
    assert complete_tag_set({"S-PER"}) == {"O", "B-PER", "I-PER", "E-PER", "S-PER"}


def test_packaged_wnut16_split_is_seeded_and_complete():
    loaded = WNUT16().load()
    assert len(loaded["all"]) == 2394
    assert sum(len(e.text) for e in loaded["all"]) == 46469

    fractions = {"train": 0.8, "validation": 0.1, "test": 0.1}
    prepared = prepare(loaded, fractions, seed=42, caps={})
    again = prepare(WNUT16().load(), fractions, seed=42, caps={})
    assert prepared.splits == again.splits
    assert {split: len(examples) for split, examples in prepared.splits.items()} == {"train": 1914, "validation": 240, "test": 240}
    types = {tag[2:] for tag in prepared.label_names if tag != "O"}
    assert len(types) == 10
    assert all(re.fullmatch(r"O|[BI]-[a-z-]+", tag) for tag in prepared.label_names)
    assert len(prepared.label_names) == 21
