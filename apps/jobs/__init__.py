"""Background jobs: one Job row per long piece of work, with progress the API shows."""
