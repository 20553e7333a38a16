from django.apps import AppConfig


class OutagesConfig(AppConfig):
    name = "tangguh.outages"
    label = "outages"
    verbose_name = "Gangguan layanan"
