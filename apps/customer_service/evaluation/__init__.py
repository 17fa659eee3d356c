"""Evaluation runners of the customer-service vertical: retrieval and grounding quality over
the labelled question sets of ``demo/eval/`` (``evaluate_retrieval``, ``evaluate_grounding``)."""
