"""Evaluation of the medical-records vertical: the quality scores of ``evaluate_medical``
(assertions, de-identification, entities) over the annotated sets in ``data/``, the builders of
those sets (``make_sets.py``) and the synthetic notes the benchmark sends."""
