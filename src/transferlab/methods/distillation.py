"""Knowledge distillation: a student trained on the labels and on a frozen teacher's softened logits."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.methods.base import Method
from transferlab.models.module import TransferModule

log = get_logger(__name__)


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (loss, cross-entropy, KL term) with loss = alpha * CE + (1 - alpha) * T^2 * KL.

    KL is KL(softmax(teacher / T) || softmax(student / T)), averaged over the positions whose label
    is not -100: one per example for sequence classification, one per labelled word for token
    classification. Dividing the logits by T scales the soft term's gradients by about 1 / T^2, so
    the T^2 factor keeps them at the scale of the cross-entropy's as T changes.
    """
    num_labels = student_logits.shape[-1]
    student = student_logits.reshape(-1, num_labels)
    teacher = teacher_logits.reshape(-1, num_labels).to(student.dtype)
    labels = labels.reshape(-1)
    keep = labels != -100
    student, teacher, labels = student[keep], teacher[keep], labels[keep]

    cross_entropy = F.cross_entropy(student, labels)
    kl = F.kl_div(
        F.log_softmax(student / temperature, dim=-1),
        F.log_softmax(teacher / temperature, dim=-1),
        reduction="batchmean",
        log_target=True,
    )
    loss = alpha * cross_entropy + (1.0 - alpha) * temperature**2 * kl
    return loss, cross_entropy, kl


class TeacherLogitsCache:
    """Teacher logits per training input, computed on the first epoch and reused on later ones.

    Inputs are keyed by their token ids, so the cache needs no example index in the batch, and two
    identical texts share one entry (the teacher is in eval mode, so their logits are equal).
    """

    def __init__(self) -> None:
        self.logits: dict[tuple[int, ...], torch.Tensor] = {}

    @staticmethod
    def _keys(batch: dict[str, torch.Tensor]) -> list[tuple[int, ...]]:
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        return [tuple(row[:n]) for row, n in zip(batch["input_ids"].tolist(), lengths)]

    def lookup(self, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """Return the cached logits of the whole batch, padded like it, or None if any is missing."""
        keys = self._keys(batch)
        if not all(key in self.logits for key in keys):
            return None
        rows = [self.logits[key] for key in keys]
        if rows[0].dim() == 1:
            return torch.stack(rows).to(batch["input_ids"].device)
        # Token classification: one row per token, padded to the batch's length; padding positions
        # carry label -100, so their values never reach the loss.
        padded = torch.zeros(len(rows), batch["input_ids"].shape[1], rows[0].shape[-1], dtype=rows[0].dtype)
        for i, row in enumerate(rows):
            padded[i, : row.shape[0]] = row
        return padded.to(batch["input_ids"].device)

    def store(self, batch: dict[str, torch.Tensor], logits: torch.Tensor) -> None:
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        for key, row, n in zip(self._keys(batch), logits.detach().float().cpu(), lengths):
            self.logits[key] = row if row.dim() == 1 else row[:n].clone()


class DistillationModule(TransferModule):
    """Trains `model` (the student) against a frozen `teacher` with `distillation_loss`.

    Validation and testing score the student alone. Checkpoints leave the teacher out, since it is
    reloaded from its directory whenever the module is built.
    """

    save_frozen_weights = False

    def __init__(self, *args, teacher: torch.nn.Module, temperature: float, alpha: float,
                 label_order: list[int] | None = None, cache_teacher_logits: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teacher = teacher.eval()
        self.teacher.requires_grad_(False)
        self.temperature = temperature
        self.alpha = alpha
        # Teacher output index for each student label id, when the two orders differ.
        self.register_buffer("label_order", None if label_order is None else torch.tensor(label_order), persistent=False)
        self.cache = TeacherLogitsCache() if cache_teacher_logits else None

    def train(self, mode: bool = True):
        """Switch the student's mode; the teacher stays in eval mode so that its dropout stays off."""
        super().train(mode)
        self.teacher.eval()
        return self

    def frozen_state_keys(self) -> set[str]:
        return super().frozen_state_keys() | {k for k in self.state_dict() if k.startswith("teacher.")}

    @torch.no_grad()
    def teacher_logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Return the teacher's logits for a batch, from the cache when every input is in it."""
        if self.cache is not None:
            cached = self.cache.lookup(batch)
            if cached is not None:
                return cached
        skipped = {"labels", *self.task.batch_metadata_keys}
        inputs = {k: v for k, v in batch.items() if k not in skipped}
        logits = self.teacher(**inputs).logits
        if self.label_order is not None:
            logits = logits.index_select(-1, self.label_order)
        if self.cache is not None:
            self.cache.store(batch, logits)
        return logits

    def compute_loss(self, batch: dict[str, torch.Tensor], outputs) -> torch.Tensor:
        loss, cross_entropy, kl = distillation_loss(
            outputs.logits, self.teacher_logits(batch), batch["labels"], self.temperature, self.alpha
        )
        batch_size = batch["input_ids"].shape[0]
        self.log("train/ce", cross_entropy, batch_size=batch_size)
        self.log("train/kl", kl, batch_size=batch_size)
        return loss


class Distillation(Method):
    """Train the configured model as a student of a fine-tuned teacher with the same tokenizer and labels."""

    name = "distill"
    module_class = DistillationModule

    def __init__(self, teacher: str, temperature: float = 2.0, alpha: float = 0.5, cache_teacher_logits: bool = False) -> None:
        if not teacher:
            raise ConfigError("method.teacher must be a finished run directory or a model directory")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
            raise ConfigError(f"method.temperature must be a number > 0, got {temperature!r}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"method.alpha must be a number in [0, 1], got {alpha!r}")
        self.teacher_path = str(teacher)
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.cache_teacher_logits = cache_teacher_logits
        self.teacher_dir: Path | None = None
        self.label_order: list[int] | None = None
        self.teacher_model_class = None

    def check(self, task, label_names: list[str], tokenizer) -> None:
        """Reject a teacher without weights, with another label space or with another vocabulary."""
        from transformers import AutoConfig

        from transferlab.models.backbone import check_same_vocabulary, resolve_trained_model_dir

        self.teacher_dir = resolve_trained_model_dir(self.teacher_path, "method.teacher")
        config = AutoConfig.from_pretrained(self.teacher_dir, local_files_only=True)
        teacher_labels = [config.id2label[i] for i in range(config.num_labels)]
        if sorted(teacher_labels) != sorted(label_names):
            raise ConfigError(
                f"method.teacher: the teacher in {self.teacher_dir} predicts {teacher_labels}, but the data has "
                f"labels {label_names}; distil from a teacher trained on the same labels"
            )
        if teacher_labels != label_names:
            self.label_order = [teacher_labels.index(name) for name in label_names]
            log.info("Teacher label order %s differs from the data's %s; teacher logits are reordered", teacher_labels, label_names)
        check_same_vocabulary(tokenizer, self.teacher_dir, "method.teacher")
        self.teacher_model_class = task.auto_model_class()

    def module_options(self) -> dict:
        from transferlab.models.backbone import count_parameters

        teacher = self.teacher_model_class.from_pretrained(self.teacher_dir, local_files_only=True)
        _, total = count_parameters(teacher)
        log.info(
            "Loaded teacher %s from %s (%s parameters, %d layers, frozen); T=%s, alpha=%s",
            type(teacher).__name__, self.teacher_dir, f"{total:,}", teacher.config.num_hidden_layers,
            self.temperature, self.alpha,
        )
        return {
            "teacher": teacher,
            "temperature": self.temperature,
            "alpha": self.alpha,
            "label_order": self.label_order,
            "cache_teacher_logits": self.cache_teacher_logits,
        }
