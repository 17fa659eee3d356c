"""A task for the log-masking flows test (in the customer-service vertical's tests), loaded into a
test worker with ``--include``.

PyRuSH, the only library here that logs through loguru, is silenced by the medical pipeline
(``logger.disable("PyRuSH")``: a DEBUG line per sentence), so the real flows produce no loguru
record. This task logs a sentence the way PyRuSH does, from inside a real worker process, so
that the test sees loguru output pass the worker's logging configuration."""

from celery import shared_task
from loguru import logger


@shared_task(name="tests.logmask_tasks.loguru_sentence_task")
def loguru_sentence_task(sentence: str) -> int:
    """Log ``sentence`` through loguru at DEBUG and INFO, as PyRuSH logs its sentences."""
    logger.debug("PyRuSH-style sentence: {}", sentence)
    logger.info("sentence split: {}", sentence)
    return len(sentence)
