"""The JSON API under ``/api/v1/``: each app contributes a router; OpenAPI at
``/api/v1/openapi.json``, interactive docs at ``/api/v1/docs``."""

from ninja import NinjaAPI

from tangguh import __version__
from tangguh.accounts.api import router as auth_router
from tangguh.api_errors import install_error_handlers
from tangguh.audit.api import router as audit_router
from tangguh.awards.api import router as awards_router
from tangguh.bids.api import router as bids_router
from tangguh.bids.api_dealing import router as dealing_router
from tangguh.bids.api_keys import me_router as member_key_router
from tangguh.bids.api_keys import router as sealing_key_router
from tangguh.bids.api_opening import router as opening_router
from tangguh.bids.api_redeposit import router as redeposit_router
from tangguh.bids.api_tus import router as bids_tus_router
from tangguh.clarification.api import router as clarification_router
from tangguh.core.api import router as node_router
from tangguh.evaluation.api import router as evaluation_router
from tangguh.hub.api import auth_router as hub_auth_router
from tangguh.hub.api import me_router as hub_me_router
from tangguh.hub.api import router as hub_router
from tangguh.integrity.api import router as red_flags_router
from tangguh.integrity.api import tenders_router as integrity_tenders_router
from tangguh.notifications.api import router as inbox_router
from tangguh.offline.api import router as offline_router
from tangguh.opendata.api import router as ocds_router
from tangguh.organizations.api import holidays_router
from tangguh.organizations.api import router as organizations_router
from tangguh.outages.api import router as outages_router
from tangguh.outages.api import status_router
from tangguh.participation.api import blacklist_router, me_router
from tangguh.participation.api import router as participation_router
from tangguh.planning.api import router as planning_router
from tangguh.qualification.api import router as qualification_router
from tangguh.search.api import router as search_router
from tangguh.tenders.api import router as tenders_router
from tangguh.vendors.api import router as vendors_router

api = NinjaAPI(
    title="Tangguh API",
    version=__version__,
    description="E-procurement node API. Errors carry a stable `code`.",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/node", node_router)
api.add_router("/auth", auth_router)
api.add_router("/organizations", organizations_router)
api.add_router("/holidays", holidays_router)
api.add_router("/vendors", vendors_router)
api.add_router("/audit", audit_router)
api.add_router("/ocds", ocds_router)
api.add_router("/tenders", search_router)
api.add_router("/planning", planning_router)
api.add_router("/tenders", tenders_router)
api.add_router("/tenders", clarification_router)
api.add_router("/inbox", inbox_router)
api.add_router("/qualification", qualification_router)
api.add_router("/tenders", participation_router)
api.add_router("/me", me_router)
api.add_router("/blacklist", blacklist_router)
api.add_router("/tenders", bids_router)
api.add_router("/tenders", bids_tus_router)
api.add_router("/tenders", sealing_key_router)
api.add_router("/me", member_key_router)
api.add_router("/tenders", opening_router)
api.add_router("/tenders", redeposit_router)
api.add_router("/tenders", offline_router)
api.add_router("/outages", outages_router)
api.add_router("/status", status_router)
api.add_router("/tenders", evaluation_router)
api.add_router("/tenders", awards_router)
api.add_router("/tenders", dealing_router)
api.add_router("/tenders", integrity_tenders_router)
api.add_router("/red-flags", red_flags_router)
api.add_router("/auth", hub_auth_router)
api.add_router("/me", hub_me_router)
api.add_router("/hub", hub_router)
