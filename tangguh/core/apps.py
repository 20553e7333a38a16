from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tangguh.core"
    label = "core"
    verbose_name = "Tangguh core"
