from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "tangguh.integrity"
    label = "integrity"
    verbose_name = "Tanda bahaya dan berkas audit"
