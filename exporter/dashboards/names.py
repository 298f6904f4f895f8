"""Stable dashboard uids and file names.

Links between dashboards and bookmarks use the uid, so uids never depend on
anything but the dashboard's kind and, for a dashboard made for one SLO, the
SLO's name. Grafana allows 40 characters of ``[A-Za-z0-9_-]`` in a uid.
"""

from __future__ import annotations

import hashlib
import re

OVERVIEW_UID = "slo-overview"
DETAIL_UID = "slo-detail"
TAG = "slo-exporter"
"""Tag on every dashboard; the dashboards' link menus list dashboards by it."""

UID_MAX = 40
_PINNED_PREFIX = "slo-detail-"
_UID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def pinned_uid(slo_name: str) -> str:
    """The uid of the detail dashboard made for one SLO.

    ``slo-detail-<name>`` when the name fits and is uid-safe; otherwise the
    name made safe and cut short, plus 8 hex digits of its hash, so that two
    names never share a uid (``a.b`` and ``a-b`` differ).
    """
    uid = _PINNED_PREFIX + slo_name
    if len(uid) <= UID_MAX and not _UID_UNSAFE.search(slo_name):
        return uid
    digest = hashlib.sha256(slo_name.encode()).hexdigest()[:8]
    safe = _UID_UNSAFE.sub("-", slo_name)[: UID_MAX - len(_PINNED_PREFIX) - len(digest) - 1]
    return f"{_PINNED_PREFIX}{safe}-{digest}"


def file_name(uid: str) -> str:
    """The JSON file a dashboard is written to: its uid, so names never collide."""
    return f"{uid}.json"
