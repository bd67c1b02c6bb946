from django.utils.translation import gettext_lazy as _

from dibao.errors import DomainError, StaleVersion


def check_version(obj, version) -> None:
    if version is not None and int(version) != obj.version:
        raise StaleVersion()


def field_error(field: str, message) -> DomainError:
    return DomainError(_("Invalid input."), code="invalid", fields={field: [message]})
