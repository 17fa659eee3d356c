"""Evaluation of the adaptation vertical: the base-versus-adapted fine-tuning run of
``evaluate_finetune`` (the figures themselves are computed in ``engine/evaluation.py``)."""
