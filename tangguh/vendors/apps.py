from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "tangguh.vendors"
    label = "vendors"
    verbose_name = "Penyedia"
