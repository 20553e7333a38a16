from django.urls import include, path

from tangguh.api import api
from tangguh.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tangguh.bids.urls")),
    path("", include("tangguh.awards.urls")),
    path("", include("tangguh.outages.urls")),
    path("", include("tangguh.offline.urls")),
    path("", include("tangguh.hub.urls")),
    path("", include("tangguh.organizations.urls")),
    path("", include("tangguh.integrity.urls")),
    path("", include("tangguh.web.urls")),
]
