from django.apps import AppConfig


class TendersConfig(AppConfig):
    name = "tangguh.tenders"
    label = "tenders"
    verbose_name = "Tender"
