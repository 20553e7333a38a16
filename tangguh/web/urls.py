from django.urls import path

from tangguh.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", views.login_view, name="login"),
    path("masuk/otp/", views.login_otp, name="login_otp"),
    path("keluar/", views.logout_view, name="logout"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("penyedia/daftar/", views.vendor_register_view, name="vendor_register"),
    path("verifikasi/", views.verification_queue, name="verification"),
    path("verifikasi/<int:company_id>/", views.verification_decide, name="verification_decide"),
]
