from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "tangguh.participation"
    label = "participation"
    verbose_name = "Keikutsertaan tender"
