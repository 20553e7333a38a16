from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "tangguh.planning"
    label = "planning"
    verbose_name = "Perencanaan"
