from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "tangguh.search"
    label = "search"
    verbose_name = "Pencarian tender"
