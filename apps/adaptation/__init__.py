"""Domain adaptation (LoRA)."""
