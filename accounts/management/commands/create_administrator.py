"""Create one of the three administrators (三员分立) without a Django superuser.

    manage.py create_administrator --username sysadmin --role admin
    manage.py create_administrator --username secadmin --role security_admin
    manage.py create_administrator --username auditadmin --role audit_admin

The password is asked for twice (never on the command line); a script may pipe it with --password-stdin.
"""

import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ADMIN_ROLES, User
from audit import services as audit


class Command(BaseCommand):
    help = "Create a system, security or audit administrator (no superuser)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=[str(r) for r in ADMIN_ROLES])
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args, username, role, password_stdin=False, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"The username {username!r} is taken.")
        password = sys.stdin.readline().rstrip("\n") if password_stdin else ""
        if not password_stdin:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        user = User(username=username, role=role, is_staff=True)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.full_clean()
            user.save()
            audit.record(actor=None, action="user.create", obj=user, after={"username": username, "role": role})
        self.stdout.write(f"Created {role} {username}.")
