from django.core.management.base import BaseCommand

from cases.working_days import seed_holidays


class Command(BaseCommand):
    help = "Add public holidays and swapped working days from chinesecalendar (existing rows are kept)."

    def handle(self, *args, **options):
        self.stdout.write(f"{seed_holidays()} days added.")
