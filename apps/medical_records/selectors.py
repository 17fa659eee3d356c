"""Reads of the medical-records vertical: tenant-scoped querysets."""

from __future__ import annotations

from .models import CheckRuleSet, Correction, Extraction, Finding, Note, NoteBatch, Patient


def notes_of(*, tenant):
    return Note.objects.filter(tenant=tenant).select_related("patient").order_by("-created_at")


def extractions_of(*, tenant):
    return Extraction.objects.filter(tenant=tenant).order_by("-created_at")


def findings_of(*, tenant):
    return Finding.objects.filter(tenant=tenant).order_by("-created_at")


def batches_of(*, tenant):
    return NoteBatch.objects.filter(tenant=tenant).select_related("job").order_by("-created_at")


def patients_of(*, tenant):
    return Patient.objects.filter(tenant=tenant).order_by("-created_at")


def check_sets_of(*, tenant):
    return CheckRuleSet.objects.filter(tenant=tenant).order_by("name")


def corrections_of(*, tenant):
    return Correction.objects.filter(tenant=tenant).select_related("note").order_by("-created_at")
