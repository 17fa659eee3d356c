from django.apps import AppConfig


class MedicalRecordsConfig(AppConfig):
    name = "apps.medical_records"
    label = "medical_records"
    verbose_name = "Medical records"
