from django.apps import AppConfig


class ClarificationConfig(AppConfig):
    name = "tangguh.clarification"
    label = "clarification"
    verbose_name = "Pemberian Penjelasan"
