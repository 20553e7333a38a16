"""Pages of the hub app; included at the site root."""

from django.urls import path

from tangguh.hub import views

app_name = "hub"
urlpatterns = [
    path("masuk/kredensial/", views.credential_login_page, name="credential_login"),
    path("penyedia/kredensial/", views.credential_page, name="credential"),
    path("penyedia/kredensial/unduh/", views.credential_download, name="credential_download"),
    path("penyedia/kredensial/cabut/", views.credential_revoke_page, name="credential_revoke"),
]
