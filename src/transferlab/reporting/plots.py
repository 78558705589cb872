"""Report figures: a confusion matrix for classification and per-type F1 bars for NER, saved as PNG.

Figures are drawn on matplotlib's Agg canvas without pyplot, so no display or global state is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import warnings

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from transferlab.log import get_logger

log = get_logger(__name__)

CONFUSION_MATRIX_FILE = "confusion_matrix.png"
ENTITY_F1_FILE = "entity_f1.png"
# Fonts with CJK glyphs, tried in this order when installed, so Chinese or Japanese labels render.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Arial Unicode MS",
)


def confusion_counts(predictions: Sequence[int], references: Sequence[int], num_labels: int) -> np.ndarray:
    """Return the (true, predicted) count matrix; references of -100 are skipped."""
    counts = np.zeros((num_labels, num_labels), dtype=np.int64)
    for predicted, true in zip(predictions, references):
        if true != -100:
            counts[true, predicted] += 1
    return counts


def font_families() -> list[str]:
    """Return DejaVu Sans followed by the installed fonts with CJK glyphs, which matplotlib falls back to."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans"] + [name for name in CJK_FONTS if name in installed]


def _new_figure(size: tuple[float, float]) -> Figure:
    figure = Figure(figsize=size)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(temporary, dpi=120, bbox_inches="tight")
    if any("missing from font" in str(w.message) for w in caught):
        log.warning(
            "Some label characters have no glyph in the installed fonts and show as boxes in %s; "
            "install a CJK font such as Noto Sans CJK (fonts-noto-cjk) to render them", path
        )
    temporary.replace(path)
    log.info("Wrote %s", path)
    return path


def plot_confusion_matrix(counts: np.ndarray, label_names: Sequence[str], path: Path, title: str = "Confusion matrix") -> Path:
    """Draw true labels as rows and predictions as columns, coloured by the row share, with counts in cells."""
    row_totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, row_totals, out=np.zeros(counts.shape, dtype=float), where=row_totals > 0)

    size = max(4.0, 0.6 * len(label_names) + 2.5)
    with matplotlib.rc_context({"font.family": font_families()}):
        return _draw_confusion_matrix(counts, shares, label_names, path, title, size)


def _draw_confusion_matrix(counts, shares, label_names, path, title, size) -> Path:
    figure = _new_figure((size + 1.0, size))
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="share of the true label's examples")

    ticks = np.arange(len(label_names))
    axes.set_xticks(ticks, labels=label_names, rotation=45, ha="right")
    axes.set_yticks(ticks, labels=label_names)
    axes.set_xlabel("predicted label")
    axes.set_ylabel("true label")
    axes.set_title(f"{title} ({int(counts.sum())} examples)")
    if len(label_names) <= 30:
        for row in range(len(label_names)):
            for column in range(len(label_names)):
                colour = "white" if shares[row, column] > 0.5 else "black"
                axes.text(column, row, str(counts[row, column]), ha="center", va="center", color=colour, fontsize=8)
    return _save(figure, path)


def plot_entity_f1(per_type: dict[str, dict[str, float]], path: Path, title: str = "Entity F1 by type") -> Path:
    """Draw one horizontal F1 bar per entity type, labelled with its support (gold entity count)."""
    with matplotlib.rc_context({"font.family": font_families()}):
        return _draw_entity_f1(per_type, path, title)


def _draw_entity_f1(per_type: dict[str, dict[str, float]], path: Path, title: str) -> Path:
    names = sorted(per_type, key=lambda name: per_type[name]["f1-score"])
    scores = [per_type[name]["f1-score"] for name in names]
    figure = _new_figure((6.5, max(2.5, 0.4 * len(names) + 1.5)))
    axes = figure.add_subplot()
    positions = np.arange(len(names))
    axes.barh(positions, scores, color="tab:blue")
    axes.set_yticks(positions, labels=names)
    axes.set_xlim(0.0, 1.25)  # room for the score labels right of a full bar
    axes.set_xticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes.set_xlabel("F1 (entity level)")
    axes.set_title(title)
    for position, name, score in zip(positions, names, scores):
        axes.text(score + 0.01, position, f"{score:.2f} (n={int(per_type[name]['support'])})", va="center", fontsize=8)
    return _save(figure, path)


def entity_scores_by_type(true_tags: Sequence[Sequence[str]], predicted_tags: Sequence[Sequence[str]],
                          **seqeval_options) -> dict[str, dict[str, float]]:
    """Return seqeval's precision, recall, F1 and support per entity type ({} when no entity occurs).

    `seqeval_options` (mode, scheme) must match the run's report, as strict and default modes differ.
    """
    from seqeval.metrics import classification_report

    if all(tag == "O" for tags in list(true_tags) + list(predicted_tags) for tag in tags):
        return {}
    report = classification_report(list(true_tags), list(predicted_tags), output_dict=True, zero_division=0, **seqeval_options)
    return {name: scores for name, scores in report.items() if not name.endswith(" avg")}


def _token_tag_sequences(task, predictions: list, references: list, id2label: dict[int, str]):
    decoded = task.decode(predictions, references, id2label)
    keys = sorted(decoded)
    return [decoded[k][0] for k in keys], [decoded[k][1] for k in keys]


def write_report_plots(task, predictions: list, references: list, id2label: dict[int, str],
                       out_dir: Path, title: str) -> list[Path]:
    """Write the task's report figure into `out_dir` and return the files written (none for an unknown task).

    `predictions` and `references` are what `task.gather_predictions` collected over the split.
    """
    out_dir = Path(out_dir)
    if task.name == "sequence_classification":
        counts = confusion_counts(predictions, references, len(id2label))
        names = [id2label[i] for i in sorted(id2label)]
        return [plot_confusion_matrix(counts, names, out_dir / CONFUSION_MATRIX_FILE, f"{title}: confusion matrix")]

    if task.name == "token_classification":
        from transferlab.tasks.entity_metrics import seqeval_options

        true_tags, predicted_tags = _token_tag_sequences(task, predictions, references, id2label)
        per_type = entity_scores_by_type(true_tags, predicted_tags, **seqeval_options(task.eval_mode, task.eval_scheme))
        if not per_type:
            log.warning("No entities in the gold or predicted tags; skipped the per-type F1 chart")
            return []
        return [plot_entity_f1(per_type, out_dir / ENTITY_F1_FILE, f"{title}: entity F1 by type (seqeval {task.eval_mode} mode)")]

    log.warning("No report figure is defined for task %s; skipped it", task.name)
    return []


def log_figures(loggers: Sequence, paths: Sequence[Path], prefix: str) -> None:
    """Send figures to the experiment loggers that take images: W&B (wandb.Image) and TensorBoard."""
    if not paths:
        return
    for logger in loggers:
        kind = type(logger).__name__
        if kind == "WandbLogger":
            logger.log_image(key=f"{prefix}/figures", images=[str(p) for p in paths], caption=[p.stem for p in paths])
        elif kind == "TensorBoardLogger":
            from matplotlib.image import imread

            for path in paths:
                logger.experiment.add_image(f"{prefix}/{path.stem}", imread(path)[..., :3], dataformats="HWC")
        else:
            continue
        log.info("Logged %d figures to %s", len(paths), kind)
