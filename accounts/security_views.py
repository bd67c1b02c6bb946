"""Pages for the second factor (enrol, verify, recovery codes) and the owner's API tokens."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts.otp import (
    ENROL_SESSION_KEY,
    enrolment_confirm,
    enrolment_start,
    has_second_factor,
    qr_svg_data_uri,
    recovery_codes_renew,
    secret_base32,
    verify_for_session,
)
from accounts.tokens import token_revoke, tokens_of
from dibao.errors import DomainError


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("home")


@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """After the password: the authenticator's 6-digit code, or one recovery code."""
    if not has_second_factor(request.user):
        return redirect(f"{reverse('otp_enrol')}?next={_next_url(request)}")
    error = None
    if request.method == "POST":
        if verify_for_session(request, request.POST.get("otp", "")):
            return redirect(_next_url(request))
        error = _("The code is not correct. Wait for the next code and try again.")
    return render(request, "accounts/otp_verify.html", {"title": _("Second factor"), "error": error,
                                                        "next": _next_url(request)},
                  status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    """Set up the authenticator app: scan the QR code (or type the key), confirm with its first code."""
    if has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('otp_verify')}?next={_next_url(request)}")
    device = enrolment_start(request)
    error = None
    if request.method == "POST":
        try:
            confirmed, codes = enrolment_confirm(user=request.user, device=device, code=request.POST.get("otp", ""))
        except DomainError as exc:
            error = exc.fields.get("otp", [exc.message])[0]
        else:
            request.session.pop(ENROL_SESSION_KEY, None)
            otp_login(request, confirmed)  # the code just given verifies this session
            return render(request, "accounts/recovery_codes.html",
                          {"title": _("Recovery codes"), "codes": codes, "next": _next_url(request)})
    return render(request, "accounts/otp_enrol.html",
                  {"title": _("Set up the second factor"), "qr": qr_svg_data_uri(device),
                   "secret": secret_base32(device), "error": error, "next": _next_url(request)},
                  status=400 if error else 200)


@require_POST
def recovery_codes(request):
    """New recovery codes (the old ones stop working); only with the second factor given."""
    if not has_second_factor(request.user) or not request.user.is_verified():
        raise PermissionDenied
    codes = recovery_codes_renew(user=request.user)
    return render(request, "accounts/recovery_codes.html",
                  {"title": _("Recovery codes"), "codes": codes, "next": reverse("tokens")})


@require_http_methods(["GET", "POST"])
def tokens(request):
    """My API tokens in force; revoke one. The page also offers new recovery codes."""
    if request.method == "POST":
        try:
            token_revoke(actor=request.user, owner=request.user, token_ref=request.POST.get("token", ""),
                         reason="revoked_by_owner")
        except DomainError:
            messages.error(request, _("This token does not exist or has already ended."))
        else:
            messages.success(request, _("The token was revoked."))
        return redirect("tokens")
    return render(request, "accounts/tokens.html",
                  {"title": _("Sign-in security"), "tokens": list(tokens_of(request.user)),
                   "has_second_factor": has_second_factor(request.user)})
