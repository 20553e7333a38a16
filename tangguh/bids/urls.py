"""Public pages of the bids app; included at the site root (``path("", include(...))``)."""

from django.urls import path

from tangguh.bids import views, views_keys, views_sealing

app_name = "bids"
urlpatterns = [
    path("verifikasi-tanda-terima/", views.receipt_verify_page, name="receipt_verify"),
    path("tender/<str:code>/penawaran/", views_sealing.seal_page, name="seal"),
    path("pokja/kunci-saya/", views_keys.member_key_page, name="member_key"),
    path("pokja/tender/<str:code>/periksa-kunci/", views_keys.key_check_page, name="key_check"),
    path(
        "pokja/tender/<str:code>/buka-penawaran/",
        views_keys.share_release_page,
        name="share_release",
    ),
]
