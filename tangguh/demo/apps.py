from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tangguh.demo"
    label = "demo"
    verbose_name = "Demo data"
