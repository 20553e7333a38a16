from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tangguh.web"
    label = "web"
    verbose_name = "Web"
