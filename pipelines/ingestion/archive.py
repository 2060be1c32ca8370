"""Nominative files do not stay in the inbox once loaded.

RIO lists and PSAD follow-ups carry direct identifiers (INE, names, addresses, phones). Once a file
has been processed (loaded, recognised as already loaded, or rejected), the inbox copy is moved to
the restricted archive (`SPRO_ARCHIVE_DIR`, owner-only permissions), which the retention job purges
2 years after the file's month (pipelines/retention/purge.py). A file whose load failed stays in the
inbox so the next run retries it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

NOMINATIVE_FEEDS = frozenset({"rio", "psad_followup"})
ARCHIVED_STATUSES = frozenset({"loaded", "replaced", "duplicate", "already", "rejected"})


def should_archive(feed: str, status: str) -> bool:
    return feed in NOMINATIVE_FEEDS and status in ARCHIVED_STATUSES


def archive_file(path: Path, relative_name: str, archive_dir: Path) -> Path:
    """Move one inbox file into the restricted archive, keeping its folder; owner-only permissions."""
    target = archive_dir / relative_name
    for folder in (archive_dir, target.parent):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    shutil.move(str(path), str(target))
    os.chmod(target, 0o600)
    return target
