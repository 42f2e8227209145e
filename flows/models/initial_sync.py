"""The initial product sync: a matching report first (nothing written), then "apply" with progress.

One row per attempt. ``checkpoint`` is the last article number fully written, and ``in_flight`` the
batch being written when the worker stopped: on resume that batch is checked against the target
before anything is written again, so each article is written once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows.models.config import Integration, JetshopShop


class InitialSync(models.Model):
    class Direction(models.TextChoices):
        SHOP_TO_VISMA = "shop_to_visma", _("products shop → Visma")
        VISMA_TO_SHOP = "visma_to_shop", _("products Visma → shop")

    class Status(models.TextChoices):
        PREVIEWING = "previewing", _("building the matching report")
        PREVIEW = "preview", _("matching report ready (nothing written)")
        APPLYING = "applying", _("applying")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="initial_syncs", verbose_name=_("integration")
    )
    shop = models.ForeignKey(
        JetshopShop, on_delete=models.CASCADE, related_name="initial_syncs", verbose_name=_("shop")
    )
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREVIEWING)
    report = models.JSONField(_("matching report"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("to write"), default=0)
    done = models.PositiveIntegerField(_("written"), default=0)
    checkpoint = models.CharField(_("checkpoint"), max_length=120, blank=True)
    in_flight = models.JSONField(_("batch being written"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    applying_since = models.DateTimeField(_("applying since"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("initial product sync")
        verbose_name_plural = _("initial product syncs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.shop}: {self.get_direction_display()} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return (
            int(100 * self.done / self.total)
            if self.total
            else (100 if self.status == self.Status.DONE else 0)
        )

    @property
    def eta(self) -> timedelta | None:
        """Time left at the pace so far (None before the first batch or when finished)."""
        if self.status != self.Status.APPLYING or not self.done or not self.applying_since:
            return None
        elapsed = timezone.now() - self.applying_since
        return elapsed * (self.total - self.done) / self.done


class InitialSyncEntry(models.Model):
    """One article of the plan the preview built, in article order: "apply" writes, links or
    reports exactly this, without reading both catalogues again."""

    class Action(models.TextChoices):
        WRITE = "write", _("write")
        LINK = "link", _("link (equal on both sides)")
        REFUSE = "refuse", _("cannot be written")

    sync = models.ForeignKey(
        InitialSync, on_delete=models.CASCADE, related_name="entries", verbose_name=_("initial sync")
    )
    article = models.CharField(_("article number"), max_length=120)
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    key = models.CharField(_("reference key"), max_length=120, blank=True)
    payload = models.JSONField(_("what is written"), default=dict, blank=True)
    fields = models.JSONField(_("compared fields"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("initial sync entry")
        verbose_name_plural = _("initial sync entries")
        constraints = [models.UniqueConstraint(fields=["sync", "article"], name="initial_sync_entry_unique")]

    def __str__(self) -> str:
        return f"{self.article}: {self.action}"
