"""Pages for committee members and administrators need a second factor in the session."""

from __future__ import annotations

from django.shortcuts import redirect

from tangguh.accounts.selectors import SESSION_FLAG, user_requires_two_factor

__all__ = ["SESSION_FLAG", "TwoFactorRequiredMiddleware"]
OPEN_PREFIXES = ("/masuk", "/keluar", "/static/", "/healthz", "/api/", "/i18n/")


class TwoFactorRequiredMiddleware:
    """A role granted after login (or a session from before 2FA was required) is stopped
    here until the user passes the second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(SESSION_FLAG)
            and not request.path.startswith(OPEN_PREFIXES)
            and user_requires_two_factor(user)
        ):
            return redirect("web:login_otp")
        return self.get_response(request)
