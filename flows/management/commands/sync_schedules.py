from django.core.management.base import BaseCommand

from flows.engine.schedules import sync_schedules
from flows.models import Integration


class Command(BaseCommand):
    help = "Create or update the beat schedule of every integration from its configuration."

    def handle(self, *args, **options):
        for integration in Integration.objects.select_related("customer"):
            tasks = sync_schedules(integration)
            self.stdout.write(f"{integration}: {len(tasks)} flow schedule(s)")
