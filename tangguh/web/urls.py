from django.urls import path

from tangguh.web import views, views_public, views_qualification, views_vendor, views_work

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
    path("cari/", views_vendor.search_page, name="search"),
    path("tender/<str:code>/", views_public.tender_page, name="tender"),
    path("tender/<str:code>/daftar/", views_vendor.tender_register, name="tender_register"),
    path(
        "tender/<str:code>/dokumen/<int:document_id>/",
        views_vendor.tender_download,
        name="tender_download",
    ),
    path("tender/<str:code>/tanya/", views_vendor.tender_ask, name="tender_ask"),
    path("paket-saya/", views_vendor.my_tenders_page, name="my_tenders"),
    path("kotak-masuk/", views_vendor.inbox, name="inbox"),
    path("kotak-masuk/<int:notification_id>/baca/", views_vendor.inbox_read, name="inbox_read"),
    path("ppk/paket/", views_work.ppk_packages, name="ppk_packages"),
    path("ppk/rup/impor/", views_work.ppk_import, name="ppk_import"),
    path("ppk/paket/<int:package_id>/delegasi/", views_work.ppk_delegate, name="ppk_delegate"),
    path("ukpbj/antrean/", views_work.ukpbj_backlog, name="ukpbj_backlog"),
    path("ukpbj/paket/<int:package_id>/tugaskan/", views_work.ukpbj_assign, name="ukpbj_assign"),
    path("pokja/paket/", views_work.pokja_packages, name="pokja_packages"),
    path("pokja/paket/<int:package_id>/", views_work.pokja_tender, name="pokja_tender"),
    path(
        "pokja/paket/<int:package_id>/<str:action>/",
        views_work.pokja_tender_action,
        name="pokja_tender_action",
    ),
    path("penyedia/kualifikasi/", views_qualification.qualification_page, name="qualification"),
    path(
        "penyedia/kualifikasi/<int:company_id>/<str:kind>/tambah/",
        views_qualification.qualification_add,
        name="qualification_add",
    ),
    path(
        "penyedia/kualifikasi/<int:company_id>/<str:kind>/<int:item_id>/ubah/",
        views_qualification.qualification_update,
        name="qualification_update",
    ),
    path(
        "penyedia/kualifikasi/<int:company_id>/<str:kind>/<int:item_id>/hapus/",
        views_qualification.qualification_delete,
        name="qualification_delete",
    ),
    path(
        "penyedia/kualifikasi/<int:company_id>/<str:kind>/<int:item_id>/unggah/",
        views_qualification.qualification_upload,
        name="qualification_upload",
    ),
    path(
        "penyedia/kualifikasi/<int:company_id>/<str:kind>/<int:item_id>/dokumen/",
        views_qualification.qualification_document,
        name="qualification_document",
    ),
    path(
        "verifikasi/kualifikasi/",
        views_qualification.qualification_queue,
        name="qualification_queue",
    ),
    path(
        "verifikasi/kualifikasi/<str:kind>/<int:item_id>/",
        views_qualification.qualification_decide,
        name="qualification_decide",
    ),
]
