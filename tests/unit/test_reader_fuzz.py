"""Property-based tests of the CSV, TSV and JSONL readers: valid examples or a DataError, nothing else."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transferlab.data.examples import Example
from transferlab.data.tabular import read_table
from transferlab.errors import DataError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with the characters that break naive readers: delimiters, quotes, line breaks, NUL, CJK, BOM.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([",", "\t", '"', "'", "\n", "\r", "\x00", "\ufeff", " ", "{", "}", "\\", "好", "評"]),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)


def _read(content: bytes, suffix: str, label_column: str | None = "label") -> list[Example] | DataError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"data{suffix}"
        path.write_bytes(content)
        try:
            examples = read_table(path, "text", label_column)
        except DataError as error:
            message = str(error)
            assert re.match(re.escape(str(path)) + r":\d+: ", message) or message == f"{path}: no examples in the file", message
            return error
    for example in examples:
        assert isinstance(example.text, str)
        example.text.encode("utf-8")  # a lone surrogate would only fail later, in the tokenizer
        assert label_column is None or (isinstance(example.label, str) and example.label.strip() == example.label and example.label)
        assert re.fullmatch(re.escape(str(path)) + r":\d+", example.origin), example.origin
    return examples


@FUZZ
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]))
def test_random_bytes_give_examples_or_data_error(content, suffix):
    _read(content, suffix)


@FUZZ
@given(content=tricky_text.map(lambda text: text.encode("utf-8")), suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]))
def test_random_text_gives_examples_or_data_error(content, suffix):
    _read(b"text,label\n" + content if suffix == ".csv" else content, suffix)


@FUZZ
@given(
    rows=st.lists(st.tuples(tricky_text, tricky_text.filter(lambda s: s.strip() and "\x00" not in s)), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_written_rows_read_back(rows, delimiter):
    rows = [(text.replace("\x00", ""), label) for text, label in rows]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["text", "label"])
    writer.writerows(rows)

    result = _read(buffer.getvalue().encode("utf-8"), ".csv" if delimiter == "," else ".tsv")

    assert not isinstance(result, DataError), result
    assert [(e.text, e.label) for e in result] == [(text, label.strip()) for text, label in rows]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3),
    max_leaves=6,
)


@FUZZ
@given(
    records=st.lists(st.one_of(st.fixed_dictionaries({"text": json_values, "label": json_values}), json_values), min_size=1, max_size=6),
    ascii_only=st.booleans(),
)
def test_jsonl_values_give_examples_or_data_error(records, ascii_only):
    lines = "\n".join(json.dumps(record, ensure_ascii=ascii_only) for record in records)
    content = lines.encode("utf-8", errors="surrogatepass")
    _read(content, ".jsonl")


def test_long_field_is_read(tmp_path):
    path = tmp_path / "long.csv"
    text = "長い記事 " * 60_000  # 300,000 characters, beyond the csv module's default field limit
    path.write_text(f"text,label\n\"{text}\",news\n", encoding="utf-8")

    examples = read_table(path, "text", "label")

    assert examples[0].text == text
