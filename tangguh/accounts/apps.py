from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tangguh.accounts"
    label = "accounts"
    verbose_name = "Akun"
