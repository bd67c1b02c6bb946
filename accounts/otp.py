"""The second factor (django-otp): a TOTP authenticator app, and single-use recovery codes.

Required when settings.OTP_REQUIRED is on (production) for the roles in settings.OTP_REQUIRED_ROLES (the
three administrators and county officers): after the password, every page sends such a user to enrol
(first time) or to type the 6-digit code; the API's token endpoint asks for the code in an `otp` field.
Enrolment, each verification (and each failure) and each new set of recovery codes are audit events.
The QR code is drawn here as SVG (the `qrcode` library): no CDN, no image service on an offline intranet.
"""

import base64
import io
import time
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts.models import User
from audit.services import record_login_event
from dibao import crypto as keys
from dibao.errors import InvalidInput

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def otp_required(user: User) -> bool:
    return bool(settings.OTP_REQUIRED) and user.is_authenticated and user.role in settings.OTP_REQUIRED_ROLES


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: User) -> bool:
    return confirmed_totp(user) is not None


ENROL_SESSION_KEY = "otp_enrol_key"


def enrolment_start(request) -> TOTPDevice:
    """The authenticator being enrolled, not yet saved: its secret waits in the session until the first
    code confirms it (so opening the page writes nothing)."""
    key = request.session.get(ENROL_SESSION_KEY)
    if not key:
        key = default_key()
        request.session[ENROL_SESSION_KEY] = key
    return TOTPDevice(user=request.user, name=TOTP_NAME, key=key, confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode("ascii")


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code, as a data: URI (allowed by the CSP's img-src)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


# Recovery codes are stored as a keyed hash (HMAC with the blind-index key, SM3 under DIBAO_CRYPTO=sm),
# truncated to the 16 characters of django-otp's token column: the table holds no usable code, and a
# code of 40 random bits cannot be found from its hash without the key.
RECOVERY_HASH_LENGTH = 16


def recovery_code_hashes(code: str) -> list[str]:
    """Every stored form of `code` (current index key first, then older versions and the other suite)."""
    return [digest[:RECOVERY_HASH_LENGTH] for digest in keys.keyring().blind_indexes(f"otp-recovery:{code.lower()}")]


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_code_hashes(code)[0])
                                     for code in codes])
    return codes


def _recovery_token(device: StaticDevice, code: str) -> str:
    """The stored hash `code` matches, or its current hash (which fails, and counts as a failure)."""
    candidates = recovery_code_hashes(code)
    found = set(device.token_set.filter(token__in=candidates).values_list("token", flat=True))
    return next((c for c in candidates if c in found), candidates[0])


def _code_matches(device: TOTPDevice, code: str) -> bool:
    """Check the first code; on success the device remembers its time step, so the code cannot be replayed."""
    try:
        token = int(code)
    except ValueError:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(token, device.tolerance):
        return False
    device.last_t = totp.t()
    return True


def enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> tuple[TOTPDevice, list[str]]:
    """Save the authenticator once its first code matches; returns it and new recovery codes (shown once).
    A wrong code is audited (outside any transaction, so the refusal keeps its trace)."""
    if not _code_matches(device, (code or "").strip()):
        record_login_event(action="auth.otp_enrol_failed", user=user)
        raise InvalidInput(fields={"otp": [_("The code is not correct. Check the time on your phone and try again.")]},
                           code="invalid_otp")
    with transaction.atomic():
        return _enrol(user, device)


def _enrol(user: User, device: TOTPDevice) -> tuple[TOTPDevice, list[str]]:
    TOTPDevice.objects.filter(user=user).delete()
    device.user = user
    device.confirmed = True
    device.save()
    codes = _new_recovery_codes(user)
    record_login_event(action="auth.otp_enrol", user=user, detail={"recovery_codes": len(codes)})
    return device, codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    record_login_event(action="auth.otp_recovery_codes", user=user, detail={"recovery_codes": len(codes)})
    return codes


def check_code(*, user: User, code: str):
    """The device that accepts `code` (the authenticator, else a recovery code, which is used up), or None.
    Audited either way; django-otp slows down repeated failures per device."""
    code = (code or "").strip().replace(" ", "")
    device = None
    totp = confirmed_totp(user)
    if code and totp is not None:
        if code.isdigit() and len(code) == totp.digits:
            device = verify_token(user, totp.persistent_id, code)
        else:  # a recovery code (8 letters and digits): only then is that device tried (and slowed)
            recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
            if recovery is not None:
                device = verify_token(user, recovery.persistent_id, _recovery_token(recovery, code))
    if device is None:
        record_login_event(action="auth.otp_failed", user=user)
    else:
        kind = "recovery_code" if isinstance(device, StaticDevice) else "totp"
        record_login_event(action="auth.otp_verified", user=user, detail={"method": kind})
    return device


def verify_for_session(request, code: str) -> bool:
    device = check_code(user=request.user, code=code)
    if device is None:
        return False
    otp_login(request, device)
    return True


# Pages a signed-in user may reach before the second factor: the steps themselves and the way out.
_OPEN_NAMES = ("otp_verify", "otp_enrol", "logout", "login")


class SecondFactorRequiredMiddleware:
    """After the password, a user who needs a second factor reaches nothing else until it is given.

    Only the session matters here: an API token is issued after its own second-factor check.
    """

    OPEN_PREFIXES = ("/static/", "/i18n/", "/favicon.ico", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated or not otp_required(user)
                or user.is_verified() or request.path_info.startswith(self.OPEN_PREFIXES)
                or request.path_info in {reverse(name) for name in _OPEN_NAMES}):
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            if request.META.get("HTTP_AUTHORIZATION"):
                return self.get_response(request)  # a token: checked with its own second factor
            return JsonResponse({"detail": _("Give your second factor on the login page first."),
                                 "code": "second_factor_required"}, status=403)
        target = "otp_verify" if has_second_factor(user) else "otp_enrol"
        return redirect(f"{reverse(target)}?next={request.get_full_path()}")
