from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "tangguh.qualification"
    label = "qualification"
    verbose_name = "Data kualifikasi penyedia"
