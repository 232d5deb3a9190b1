"""The words of the sync area: the status line and the progress label.

Owns what the consultant reads about sync ("Last synchronised 14:02 — 2 waiting — 1 conflict
to resolve", "Offline — your work waits on this laptop", "Sending 3 of 40") from a
`SyncView`, the plain state the controller keeps. Never builds a widget or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kitchentable.i18n import _, ngettext

if TYPE_CHECKING:
    from kitchentable.services.sync import Progress, Standing


@dataclass
class SyncView:
    standing: Standing | None = None
    running: bool = False
    stopping: bool = False  # Stop was pressed; the sync ends within a second
    stopped: bool = False  # the last sync was stopped (not an error)
    offline: bool = False
    failed: BaseException | None = None  # the last sync's error (automatic or not)
    progress: Progress | None = None


def when(iso: str, today: datetime | None = None) -> str:
    moment = datetime.fromisoformat(iso).astimezone()
    today = today or datetime.now().astimezone()
    return f"{moment:%H:%M}" if moment.date() == today.date() else f"{moment:%d-%m %H:%M}"


def status_text(view: SyncView) -> str:
    if view.standing is None:
        return ""
    status = view.standing.status
    if not status.enrolled:
        return _("Not connected to the office")
    if view.stopping:
        return _("Stopping…")
    if view.running:
        return _("Synchronising…")
    last = status.last_sync_at
    parts = [_headline(view, last)]
    if status.waiting:
        parts.append(_("{n} waiting").format(n=status.waiting))
    elif view.offline:
        parts.append(_("your work waits on this laptop"))
    if status.conflicts:
        parts.append(
            ngettext(
                "{n} conflict to resolve", "{n} conflicts to resolve", status.conflicts
            ).format(n=status.conflicts)
        )
    if status.quarantined:
        parts.append(
            ngettext(
                "{n} item could not be sent", "{n} items could not be sent", status.quarantined
            ).format(n=status.quarantined)
        )
    if (view.offline or view.stopped or view.failed is not None) and last:
        parts.append(_("last synchronised {time}").format(time=when(last)))
    return " — ".join(parts)


def _headline(view: SyncView, last: str | None) -> str:
    if view.offline:
        return _("Offline")
    if view.stopped:
        return _("Synchronising stopped")
    if view.failed is not None:
        return _("Not synchronised")
    if last:
        return _("Last synchronised {time}").format(time=when(last))
    return _("Not synchronised yet")


def progress_text(progress: Progress) -> str:
    if progress.phase == "push" and progress.total:
        return _("Sending {done} of {total}").format(done=progress.done, total=progress.total)
    if progress.phase == "push":
        return _("Looking for changes")
    return _("Receiving")
