"""The medical benchmark's order of work (``manage.py bench_medical``): synthetic notes; raw
Presidio + bare medSpaCy in this process; the platform's batch job in a Celery worker it starts;
raw again; report.

- raw: ``apps.privacy``'s offline Presidio analyzer (the default recognizers; Presidio's own
  default engine needs a spaCy model that cannot be downloaded here) and anonymizer on each
  note, then ``medspacy.load()`` (PyRuSH, target matcher with the same ontology rules,
  ConText) over the anonymized texts with ``nlp.pipe``;
- full over old: extraction of the stored (de-identified) notes with the full vocabularies and
  the NER model (through ``models_runtime`` and the inference worker this benchmark starts)
  against the old pipeline (demo ontology, no vocabulary, no NER), in the same run;
- pipeline: ``note_batch_start`` with the notes as JSONL (validation, encryption), the job in a
  ``celery worker -Q default`` process: de-identification with the health recognizers and
  pseudonyms, extraction (sections, both ConText rule sets, attributes, codes), checks, the
  validated FHIR Bundle, and the rows written; timed from the call to the job's success.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from celery import current_app
from django.db import transaction

from apps.accounts.benchmark import bench_tenant
from apps.core.context import Actor, actor_scope
from apps.jobs.models import Job
from apps.medical_records.engine.pipeline import Extractor, _quiet_pyfastner, _target_rules
from apps.medical_records.evaluation.synthetic import synthetic_notes
from apps.medical_records.models import BatchFormat, Note, NoteBatch
from apps.medical_records.services import extractor_for, medical_graph, ner, note_batch_start
from apps.privacy.engine import build_analyzer, get_anonymizer
from benchmarks.harness.processes import (
    ManagedProcess,
    platform_env,
    start_default_worker,
    start_worker,
)

BENCH_TENANT = "bench-medical"


@dataclass
class BenchPlan:
    name: str
    notes: int
    rounds: int

    @classmethod
    def full(cls) -> BenchPlan:
        return cls("full", notes=2000, rounds=2)

    @classmethod
    def smoke(cls) -> BenchPlan:
        return cls("smoke", notes=40, rounds=1)


def machine() -> dict:
    return {
        "cpu": platform.processor() or platform.machine(),
        "usable_cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


class MedicalBenchmark:
    def __init__(
        self, *, plan: BenchPlan, log_dir: Path, repo_root: Path, settings_module: str, say
    ):
        self.plan = plan
        self.log_dir = log_dir
        self.repo_root = repo_root
        self.settings_module = settings_module
        self.say = say
        self.processes: list[ManagedProcess] = []

    # ------------------------------------------------------------------ raw
    def _raw_tools(self, extractor):
        import medspacy  # heavy (spaCy and its pipelines): loaded when measured

        _quiet_pyfastner()
        nlp = medspacy.load()
        nlp.get_pipe("medspacy_target_matcher").add(
            _target_rules(extractor.concepts.values(), chinese=False)
        )
        return build_analyzer(), get_anonymizer(), nlp

    def _raw(self, tools, notes: list[str]) -> tuple[float, int]:
        analyzer, anonymizer, nlp = tools
        started = time.perf_counter()
        texts = [
            anonymizer.anonymize(
                text=note, analyzer_results=analyzer.analyze(text=note, language="en")
            ).text
            for note in notes
        ]
        entities = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=32))
        return time.perf_counter() - started, entities

    # ------------------------------------------------------------------ pipeline
    def _batch(self, tenant, content: bytes, count: int) -> tuple[float, float]:
        started = time.perf_counter()
        with transaction.atomic():  # the job is enqueued on commit
            batch = note_batch_start(tenant=tenant, content=content, fmt=BatchFormat.JSONL)
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            job = Job.objects.filter(pk=batch.job_id).values(
                "state", "error", "result", "started_at", "finished_at"
            )[0]
            if job["state"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        if job["state"] != "succeeded":
            raise RuntimeError(f"the batch job ended {job['state']}: {job['error']}")
        stored = Note.objects.filter(batch=batch).count()
        if job["result"]["notes"] != count or stored != count:
            raise RuntimeError(f"the batch structured {stored} notes, not {count}")
        return wall, (job["finished_at"] - job["started_at"]).total_seconds()

    def _start_worker(self, env, celery_app) -> ManagedProcess:
        worker = start_default_worker(env, self.log_dir, self.repo_root, "medical", celery_app)
        self.processes.append(worker)
        return worker

    def _full_over_old(self, tenant, extractor) -> dict:
        """Notes per second of extraction with the full vocabularies and the NER model (served
        by the inference worker) over the old pipeline (the demo ontology alone, no NER), on
        the same de-identified notes the batch stored, in this run."""
        texts = list(Note.objects.filter(tenant=tenant).values_list("text", flat=True))
        old = Extractor(extractor.concepts, vocabulary=False)
        full = Extractor(extractor.concepts, model_spans=ner.model_spans)
        timings = {}
        for name, candidate in (("old", old), ("full", full), ("old", old), ("full", full)):
            candidate.extract_many(texts[:8], tenant_id=str(tenant.pk))  # loads, warms up
            started = time.perf_counter()
            for start in range(0, len(texts), 32):
                candidate.extract_many(texts[start : start + 32], tenant_id=str(tenant.pk))
            timings.setdefault(name, []).append(time.perf_counter() - started)
        old_s, full_s = min(timings["old"]), min(timings["full"])
        return {
            "full_over_old": round(old_s / full_s, 3),
            "full_notes_per_s": round(len(texts) / full_s, 2),
            "old_notes_per_s": round(len(texts) / old_s, 2),
        }

    def _cleanup(self, tenant) -> None:
        Note.objects.filter(tenant=tenant).delete()
        NoteBatch.objects.filter(tenant=tenant).delete()

    def run(self) -> dict:
        info = machine()
        self.say(f"machine: {info['cpu']}, {info['usable_cpus']} CPUs; plan {self.plan.name}")
        notes = synthetic_notes(self.plan.notes)
        content = "\n".join(json.dumps({"text": n}) for n in notes).encode()
        warm = "\n".join(json.dumps({"text": n}) for n in synthetic_notes(10, seed=1)).encode()
        with actor_scope(Actor("system", label="bench_medical")):
            tenant = bench_tenant(slug=BENCH_TENANT, name="Medical benchmark")
            self._cleanup(tenant)
            extractor, _, _ = extractor_for(medical_graph(tenant=tenant))
            tools = self._raw_tools(extractor)
            self._raw(tools, notes[:10])  # warm-up: Presidio's and spaCy's first calls
            raw, batches = [], []
            env = platform_env(max_batch_size=None, settings_module=self.settings_module)
            try:
                self.say("starting a default-queue worker and an inference worker (NER model)")
                self._start_worker(env, current_app._get_current_object())
                self.processes.append(
                    start_worker(
                        env,
                        self.log_dir,
                        self.repo_root,
                        "medical",
                        current_app._get_current_object(),
                    )
                )
                self._batch(tenant, warm, 10)  # the worker loads medSpaCy and Presidio once
                for round_ in range(self.plan.rounds):
                    seconds, raw_entities = self._raw(tools, notes)
                    raw.append(seconds)
                    wall, inside = self._batch(tenant, content, len(notes))
                    batches.append((wall, inside))
                    self.say(
                        f"round {round_ + 1}: raw {raw[-1]:.2f}s, pipeline {wall:.2f}s "
                        f"(job itself {inside:.2f}s)"
                    )
                raw.append(self._raw(tools, notes)[0])
                depth = self._full_over_old(tenant, extractor)
                self.say(f"full over old: {depth['full_over_old']}")
            finally:
                for process in reversed(self.processes):
                    process.stop()
                entities = (
                    sum(
                        len(x)
                        for x in Note.objects.filter(tenant=tenant).values_list(
                            "extraction__entities", flat=True
                        )[: len(notes)]
                    )
                    if batches
                    else 0
                )
                findings = tenant.medical_findings.count()
                self._cleanup(tenant)
        ratios = [r / w for r, (w, _) in zip(raw, batches, strict=False)]
        pipeline_s = statistics.median(w for w, _ in batches)
        raw_s = statistics.median(raw)
        return {
            **depth,
            "pipeline_over_raw": round(statistics.median(ratios), 3),
            "pipeline_over_raw_rounds": [round(r, 3) for r in ratios],
            "notes_per_s": round(len(notes) / pipeline_s, 2),
            "raw_notes_per_s": round(len(notes) / raw_s, 2),
            "notes": len(notes),
            "pipeline_seconds": round(pipeline_s, 3),
            "pipeline_job_seconds": round(statistics.median(i for _, i in batches), 3),
            "raw_seconds": round(raw_s, 3),
            "raw_entities": raw_entities,
            "pipeline_entities": entities,
            "findings": findings,
            "plan": self.plan.name,
            "machine": info,
        }
