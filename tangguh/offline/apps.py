from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "tangguh.offline"
    label = "offline"
    verbose_name = "Prosedur luring"
