"""Public pages of the bids app; included at the site root (``path("", include(...))``)."""

from django.urls import path

from tangguh.bids import views

app_name = "bids"
urlpatterns = [
    path("verifikasi-tanda-terima/", views.receipt_verify_page, name="receipt_verify"),
]
