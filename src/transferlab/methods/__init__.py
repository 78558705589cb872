"""Methods: how a pretrained model is adapted (full fine-tuning, LoRA, distillation, zero-shot)."""
