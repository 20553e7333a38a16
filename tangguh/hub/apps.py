from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "tangguh.hub"
    label = "hub"
    verbose_name = "Layanan nasional"
