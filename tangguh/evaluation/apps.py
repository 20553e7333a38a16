from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "tangguh.evaluation"
    label = "evaluation"
    verbose_name = "Evaluasi Penawaran"
