"""Demo data of the financial-risk vertical: the synthetic applicants and transactions the demo
seed and the benchmark load, and ``applicant.json`` (one decision request for the README)."""
