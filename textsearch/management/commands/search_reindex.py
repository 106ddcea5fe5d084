from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from textsearch.index import reindex_all


class Command(BaseCommand):
    help = "Rebuild the normalized search entries of every source (requests, public outcomes, ...)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in reindex_all().items():
            self.stdout.write(_("%(source)s: %(count)d indexed") % {"source": name, "count": count})
