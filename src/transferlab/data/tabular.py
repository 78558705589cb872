"""The user's own CSV, TSV and JSONL files with a text column and a label column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from transferlab.data.examples import Example, SplitExamples
from transferlab.errors import DataError

FORMATS = ("csv", "tsv", "jsonl")

# The csv module rejects fields over 131,072 characters by default; whole articles can be longer.
csv.field_size_limit(2**31 - 1)
_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def infer_format(path: Path, fmt: str = "auto") -> str:
    """Return the file format: `fmt` itself, or one guessed from the file suffix when it is `auto`."""
    if fmt != "auto":
        if fmt not in FORMATS:
            raise DataError(f"unknown data format {fmt!r} for {path}; use one of: auto, {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix not in _SUFFIX_FORMATS:
        raise DataError(
            f"cannot tell the format of {path} from its suffix {suffix!r}; "
            f"rename it to .csv, .tsv or .jsonl or set data.source.format"
        )
    return _SUFFIX_FORMATS[suffix]


def _label_value(value: object, path: Path, line: int, column: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(f"{path}:{line}: empty value in label column {column!r}")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataError(
            f"{path}:{line}: label {value!r} in column {column!r} is a {type(value).__name__}; "
            "labels must be strings or integers"
        )
    return str(value).strip()


def _text_value(value: object, path: Path, line: int, column: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"{path}:{line}: text in column {column!r} is a {type(value).__name__}, not a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataError(
            f"{path}:{line}: text in column {column!r} has an unpaired surrogate {value[error.start]!r} "
            "(a broken \\u escape); fix the text"
        ) from None
    return value


def _read_delimited(path: Path, delimiter: str, text_column: str, label_column: str | None) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = reader.fieldnames or []
        _check_columns(path, columns, text_column, label_column)
        try:
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise DataError(
                        f"{path}:{line}: the row has more fields than the header's {len(columns)} columns; "
                        "quote fields that contain the delimiter"
                    )
                text = _text_value(row[text_column], path, line, text_column)
                label = None if label_column is None else _label_value(row[label_column], path, line, label_column)
                examples.append(Example(text, label, f"{path}:{line}"))
        except csv.Error as error:
            raise DataError(f"{path}:{reader.line_num}: malformed {'CSV' if delimiter == ',' else 'TSV'}: {error}") from None
    return examples


def _read_jsonl(path: Path, text_column: str, label_column: str | None) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{line_number}: invalid JSON: {error.msg}") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{line_number}: expected a JSON object, found {type(record).__name__}")
            missing = [c for c in (text_column, label_column) if c is not None and c not in record]
            if missing:
                raise DataError(
                    f"{path}:{line_number}: missing key {missing[0]!r}; keys present: {', '.join(sorted(record)) or 'none'}; "
                    "set data.source.text_column / data.source.label_column"
                )
            text = _text_value(record[text_column], path, line_number, text_column)
            label = None if label_column is None else _label_value(record[label_column], path, line_number, label_column)
            examples.append(Example(text, label, f"{path}:{line_number}"))
    return examples


def _check_columns(path: Path, columns: list[str], text_column: str, label_column: str | None) -> None:
    for role, column in (("text", text_column), ("label", label_column)):
        if column is not None and column not in columns:
            raise DataError(
                f"{path}:1: no {role} column {column!r} in the header; columns present: {', '.join(columns) or 'none'}; "
                f"set data.source.{role}_column"
            )


def _first_invalid_utf8(path: Path) -> tuple[int, int]:
    """Return the 1-based line and byte column of the first byte sequence that is not UTF-8."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                return number, error.start + 1
    return 1, 1


def read_table(path: str | Path, text_column: str, label_column: str | None, fmt: str = "auto") -> list[Example]:
    """Read one CSV, TSV or JSONL file into examples; errors name the file and line."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    fmt = infer_format(path, fmt)
    try:
        if fmt == "jsonl":
            examples = _read_jsonl(path, text_column, label_column)
        else:
            examples = _read_delimited(path, "," if fmt == "csv" else "\t", text_column, label_column)
    except UnicodeDecodeError:
        line, column = _first_invalid_utf8(path)
        raise DataError(f"{path}:{line}: not valid UTF-8 (byte {column} of the line); save the file as UTF-8") from None
    if not examples:
        raise DataError(f"{path}: no examples in the file")
    return examples


class TabularSource:
    """Train, validation and test examples from the user's CSV/TSV/JSONL files.

    With only `train_file`, the examples are split by fraction like the packaged datasets.
    """

    def __init__(
        self,
        train_file: str,
        validation_file: str | None = None,
        test_file: str | None = None,
        text_column: str = "text",
        label_column: str = "label",
        format: str = "auto",
    ) -> None:
        self.files = {"train": train_file, "validation": validation_file, "test": test_file}
        self.text_column = text_column
        self.label_column = label_column
        self.format = format

    def data_files(self) -> list[Path]:
        return [Path(f).expanduser().resolve() for f in self.files.values() if f]

    def load(self) -> SplitExamples:
        given = {split: f for split, f in self.files.items() if f}
        if set(given) == {"train"}:
            return {"all": read_table(given["train"], self.text_column, self.label_column, self.format)}
        if "validation" not in given or "test" not in given:
            raise DataError(
                "give data.source.validation_file and data.source.test_file together, "
                "or neither (then train_file is split by data.split fractions)"
            )
        return {split: read_table(f, self.text_column, self.label_column, self.format) for split, f in given.items()}
