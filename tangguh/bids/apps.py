from django.apps import AppConfig


class BidsConfig(AppConfig):
    name = "tangguh.bids"
    label = "bids"
    verbose_name = "Penawaran"
