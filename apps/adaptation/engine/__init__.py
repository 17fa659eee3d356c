"""The machine-learning side of adaptation, free of Django: training pairs (parsing, validation,
deduplication, split), LoRA training with peft, and the before/after evaluation."""
