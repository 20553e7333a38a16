from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "tangguh.backups"
    label = "backups"
    verbose_name = "Cadangan dan pemulihan"
