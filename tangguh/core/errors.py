"""Typed errors that services raise; the API maps them to 4xx JSON, pages to messages.

Each carries a stable ``code`` (API clients branch on it), a message in Indonesian and in
English, and, where the error is about one input, the ``field`` it concerns.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message_id: str,
        message_en: str,
        *,
        field: str | None = None,
        details: list[dict] | None = None,
    ):
        super().__init__(message_en)
        self.code = code
        self.message_id = message_id
        self.message_en = message_en
        self.field = field
        self.details = details

    def message(self, language: str | None) -> str:
        return self.message_en if (language or "").startswith("en") else self.message_id

    def as_dict(self, language: str | None = None) -> dict:
        body = {
            "code": self.code,
            "message": self.message(language),
            "message_id": self.message_id,
            "message_en": self.message_en,
        }
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(ServiceError):
    status = 422


class NotAuthenticated(ServiceError):
    status = 401


class PermissionDenied(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Throttled(ServiceError):
    status = 429

    def __init__(self, code: str, message_id: str, message_en: str, *, retry_after: int):
        super().__init__(code, message_id, message_en)
        self.retry_after = retry_after


def permission_denied(permission: str) -> PermissionDenied:
    return PermissionDenied(
        "permission.denied",
        f"Peran Anda tidak memberi izin untuk tindakan ini ({permission}).",
        f"Your role does not allow this action ({permission}).",
    )
