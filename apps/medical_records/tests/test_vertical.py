"""The declaration (vertical.py) wires this vertical in exactly as the hand-written settings,
URLs and tables did before it (main 5d4ed00)."""

from django.conf import settings
from django.urls import resolve

from apps.accounts.domains import READ, WRITE, domain_roles
from apps.accounts.roles import Role
from apps.jobs.access import job_access
from apps.medical_records.vertical import VERTICAL
from apps.operations import activity, recorder


def test_settings_are_todays():
    enums = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert {name: enums[name] for name in VERTICAL.enum_overrides} == {
        "MedicalBatchFormatEnum": "apps.medical_records.models.BatchFormat",
        "MedicalCorrectionKindEnum": "apps.medical_records.models.CorrectionKind",
        "NoteLanguageEnum": "apps.medical_records.api.serializers.LANGUAGE_CHOICES",
    }
    assert "apps.medical_records.privacy.DATA_KINDS" in settings.PRIVACY_DATA_KINDS
    assert settings.MEDICAL_RECORDS_ENCRYPTION_KEY == ""


def test_urls_roles_and_console_are_todays():
    assert resolve("/api/v1/medical/notes/").func.cls.__module__.startswith("apps.medical_records.")
    assert recorder.group_of("/api/v1/medical/notes/") == "medical records"
    assert activity.vertical_of("medical_records.note.create") == "medical records"
    assert activity.vertical_of("medical.graph.import") == "medical records"
    assert Role.CLINICIAN == "clinician" and Role.CLINICIAN.label == "Clinician"
    assert domain_roles("medical", READ) == {Role.ADMIN, Role.CLINICIAN, Role.AUDITOR}
    assert domain_roles("medical", WRITE) == {Role.ADMIN, Role.CLINICIAN}
    assert job_access("medical_records.batch").domain == "medical"
