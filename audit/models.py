"""The append-only event log. Rows are written by `audit.services.record` and never changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only.")


class AuditEvent(models.Model):
    SCOPE_CODE_FIELD = "division_code"

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64)
    division_code = models.CharField(_("division"), max_length=12, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")


class AccessLog(models.Model):
    """Who read or exported what: exports, full ID number views, stated purposes."""

    SCOPE_CODE_FIELD = "division_code"

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    division_code = models.CharField(_("division"), max_length=12, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The access log is append-only.")


class AuditChainLink(models.Model):
    """One link of the hash chain over the audit log (audit/chain.py): event `event_id` is the
    `seq`-th link; `hash` covers the event's content, `seq` and the previous link's hash, so editing,
    deleting or reordering an event (even as the table owner, with the triggers off) breaks the chain
    from that link on. Written only by `audit.chain.seal_pending`, append-only like the events."""

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    event_id = models.BigIntegerField(_("event"), unique=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    algorithm = models.CharField(_("algorithm"), max_length=10)
    sealed_at = models.DateTimeField(_("sealed"), auto_now_add=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit chain link")
        verbose_name_plural = _("audit chain links")
        ordering = ["seq"]

    def __str__(self):
        return f"#{self.seq} event {self.event_id} {self.algorithm}:{self.hash[:12]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit chain is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit chain is append-only.")


class AuditChainCheck(models.Model):
    """The outcome of one verification of the chain (the nightly job, `manage.py verify_audit_chain`);
    the latest one feeds the metrics and the alert."""

    checked_at = models.DateTimeField(_("checked"), auto_now_add=True, db_index=True)
    ok = models.BooleanField(_("intact"))
    links_checked = models.PositiveBigIntegerField(_("links checked"), default=0)
    head_seq = models.BigIntegerField(_("last link"), null=True, blank=True)
    head_hash = models.CharField(_("last hash"), max_length=64, blank=True)
    broken_seq = models.BigIntegerField(_("first broken link"), null=True, blank=True)
    broken_event_id = models.BigIntegerField(_("event of the first broken link"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'BROKEN'}"
