"""Evaluation of the financial-risk vertical: the fraud model's report on planted patterns it
was not designed on (``evaluate_fraud``) and the synthetic transaction streams it and the
tests and benchmark draw."""
