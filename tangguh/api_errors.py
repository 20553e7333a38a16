"""How the JSON API reports errors: a 4xx body with a stable ``code``, a message in the
caller's language (Accept-Language; Indonesian by default) and the field concerned."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tangguh.core.errors import ServiceError, Throttled


def _language(request: HttpRequest) -> str:
    accept = request.headers.get("Accept-Language", "")
    return "en" if accept.lower().startswith("en") else "id"


RULES = {
    "missing": ("wajib diisi", "is required"),
    "extra_forbidden": ("tidak dikenal", "is not a known field"),
    "string_too_long": ("terlalu panjang", "is too long"),
    "string_too_short": ("terlalu pendek", "is too short"),
    "int_parsing": ("harus bilangan bulat", "must be an integer"),
    "string_type": ("harus teks", "must be text"),
    "list_type": ("harus daftar", "must be a list"),
    "enum": ("bukan pilihan yang sah", "is not an allowed value"),
}


def _field_errors(errors: list[dict], language: str) -> tuple[str, list[dict]]:
    items = []
    code = "request.invalid"
    for error in errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("body", "payload", "query")]
        field = ".".join(loc) or "body"
        kind = error.get("type", "invalid")
        if kind == "extra_forbidden":
            code = "request.unknown_field"
        rule_id, rule_en = RULES.get(kind, ("tidak sah", error.get("msg", "is invalid")))
        items.append(
            {
                "field": field,
                "rule": kind,
                "message": f"{field}: {rule_en if language == 'en' else rule_id}",
            }
        )
    return code, items


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ServiceError)
    def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        response = api.create_response(request, exc.as_dict(_language(request)), status=exc.status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        language = _language(request)
        code, items = _field_errors(exc.errors, language)
        message = "; ".join(item["message"] for item in items)
        return api.create_response(
            request, {"code": code, "message": message, "errors": items}, status=422
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        error = ServiceError(
            "auth.required",
            "Diperlukan token akses (Authorization: Bearer).",
            "A bearer token is required (Authorization: Bearer).",
        )
        return api.create_response(request, error.as_dict(_language(request)), status=401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and "parse" in str(exc).lower():
            error = ServiceError(
                "request.malformed_json",
                "Isi permintaan bukan JSON yang sah.",
                "The request body is not valid JSON.",
                field="body",
            )
        else:
            error = ServiceError(f"http.{exc.status_code}", str(exc), str(exc))
        return api.create_response(
            request, error.as_dict(_language(request)), status=exc.status_code
        )
