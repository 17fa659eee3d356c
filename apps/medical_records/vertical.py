"""The medical-records vertical's declaration: how the platform wires it in
(apps/core/verticals.py).

Read while the settings load: import nothing here but the contract and the standard library.
"""

from apps.core.verticals import DataDomain, RoleSpec, Vertical

CLINICIAN, AUDITOR = "clinician", "auditor"


def _settings(env, platform):
    return {
        # Fernet key (urlsafe base64, 32 bytes) for the pseudonym mapping; empty: derived from
        # the secret key (services/identity.py).
        "MEDICAL_RECORDS_ENCRYPTION_KEY": env("MEDICAL_RECORDS_ENCRYPTION_KEY", default=""),
    }


VERTICAL = Vertical(
    name="medical_records",
    label="medical records",
    url_prefix="medical",
    roles=(RoleSpec("clinician", "Clinician", order=20),),
    data_domains=(
        DataDomain("medical", read=frozenset({CLINICIAN, AUDITOR}), write=frozenset({CLINICIAN})),
    ),
    job_access={"medical_records": {"domain": "medical"}},
    # Actions of the "medical" domain (knowledge graph imports) count as this vertical too.
    action_prefixes=("medical",),
    enum_overrides={
        "MedicalBatchFormatEnum": ".models.BatchFormat",
        "MedicalCorrectionKindEnum": ".models.CorrectionKind",
        "NoteLanguageEnum": ".api.serializers.LANGUAGE_CHOICES",
    },
    metrics_prefix="platform_medical_",
    settings_hooks={"PRIVACY_DATA_KINDS": (".privacy.DATA_KINDS",)},
    settings=_settings,
    isolation_factories={
        "medical_records.note": ".tests.factories.note",
        "medical_records.extraction": ".tests.factories.extraction",
        "medical_records.finding": ".tests.factories.finding",
        "medical_records.notebatch": ".tests.factories.batch",
        "medical_records.patient": ".tests.factories.patient",
        "medical_records.pseudonymentry": ".tests.factories.pseudonym",
        "medical_records.checkruleset": ".tests.factories.check_set",
        "medical_records.reidentificationgrant": ".tests.factories.grant",
        "medical_records.correction": ".tests.factories.correction",
    },
    role_matrix=".tests.access",
    load_parts={"medical": ".tests.load.prepare"},
    evaluate_commands=("evaluate_medical",),
    bench_commands=("bench_medical",),
)
