"""What every benchmark shares: starting and stopping the platform's processes
(``processes``), the session around a measurement (``session``), the API key of
bench_inference (``credentials``) and the runner of the commands' ``--smoke`` tests
(``smoke``)."""
