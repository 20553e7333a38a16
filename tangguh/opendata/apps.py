from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "tangguh.opendata"
    label = "opendata"
    verbose_name = "Data terbuka (OCDS)"
