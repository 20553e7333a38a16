from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "tangguh.awards"
    label = "awards"
    verbose_name = "Evaluasi, Penetapan Pemenang dan Kontrak"
