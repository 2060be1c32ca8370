"""Find the files of the inbox and route each one to its contract, sender and month.

Routing follows docs/architecture.md: an activity file's member code -> ref_members.network_code ->
ref_networks.export_format = contract name; other feeds: the contract whose filename_regex matches
under its folder. A file that cannot be routed still gets an InboxFile with the reason, so that it
is recorded in the ledger and reported, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingestion.common_model import FEED_ASSET
from pipelines.ingestion.contracts import Contract, ContractSet
from pipelines.reference import Reference

# Inbox folder -> (feed when no contract matched, Dagster asset)
FOLDERS = {
    "activity": ("activity", "raw_member_activity"),
    "rio": ("rio", "raw_rio"),
    "psad": ("psad_followup", "raw_rio"),
    "lorfolio": ("lorfolio", "raw_lorfolio"),
    "events": ("events", "raw_events"),
}
_MONTH = re.compile(r"(\d{4}-\d{2})")
_SENDER = re.compile(r"^([A-Z]+\d{2,3})_")
_VERSION = re.compile(r"_v(\d+)\.[^.]+$")


@dataclass(frozen=True)
class InboxFile:
    path: Path
    name: str                    # relative to the inbox: "activity/ML001_2025-01.csv"
    folder: str
    feed: str
    asset: str
    month: str | None            # YYYY-MM
    sender: str | None
    version_hint: int            # from the _v<N> suffix; the ledger decides the real version
    contract: Contract | None
    reason_code: str | None = None
    reason_detail: str | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.feed, self.sender or "", self.month or "", self.version_hint,
                self.path.stat().st_mtime_ns, self.name)


def _sender_group(match: re.Match) -> str | None:
    groups = match.groupdict()
    return groups.get("member_code") or groups.get("sender_code") or groups.get("psad_code")


def route(path: Path, inbox: Path, contracts: ContractSet, reference: Reference) -> InboxFile | None:
    """The routing of one file; None for files outside the feed folders (ignored: not a feed)."""
    relative = path.relative_to(inbox)
    if len(relative.parts) != 2 or relative.parts[0] not in FOLDERS or path.name.startswith("."):
        return None
    folder, filename = relative.parts
    default_feed, asset = FOLDERS[folder]
    version = int(m.group(1)) if (m := _VERSION.search(filename)) else 1
    month_match = _MONTH.search(filename)
    base = dict(path=path, name=str(relative), folder=folder, version_hint=version,
                month=month_match.group(1) if month_match else None)
    matches = [(c, m) for c in contracts.by_folder(folder) if (m := c.file.filename_regex.match(filename))]
    if folder == "activity":
        sender_match = _SENDER.match(filename)
        sender = _sender_group(matches[0][1]) if matches else (sender_match.group(1) if sender_match else None)
        name = reference.contract_for_member(sender) if sender else None
        if sender and sender not in reference.member_network:
            return InboxFile(**base, feed="activity", asset=asset, sender=sender, contract=None,
                             reason_code="UNKNOWN_MEMBER",
                             reason_detail=f"le code structure {sender} n'est pas dans le référentiel des membres")
        chosen = [(c, m) for c, m in matches if c.name == name]
        if not chosen:
            return InboxFile(**base, feed="activity", asset=asset, sender=sender, contract=None,
                             reason_code="UNKNOWN_FORMAT",
                             reason_detail=f"aucun contrat {name or '?'} ne lit un fichier nommé {filename}")
        contract, match = chosen[0]
        return InboxFile(**{**base, "month": match.group("month")}, feed=contract.feed, asset=asset,
                         sender=sender, contract=contract)
    if not matches:
        return InboxFile(**base, feed=default_feed, asset=asset, sender=None, contract=None,
                         reason_code="UNKNOWN_FORMAT",
                         reason_detail=f"le nom {filename} ne suit aucune convention de nommage connue")
    contract, match = matches[0]
    sender = _sender_group(match) or contract.default_sender()
    if contract.feed in ("rio", "psad_followup") and reference.has("ref_psad_platforms") \
            and sender not in reference.codes("ref_psad_platforms"):
        return InboxFile(**{**base, "month": match.group("month")}, feed=contract.feed, asset=asset,
                         sender=sender, contract=None, reason_code="UNKNOWN_MEMBER",
                         reason_detail=f"la plateforme {sender} n'est pas dans le référentiel des PSAD")
    return InboxFile(**{**base, "month": match.group("month")}, feed=contract.feed,
                     asset=FEED_ASSET.get(contract.feed, asset), sender=sender, contract=contract)


def scan_inbox(inbox: Path, contracts: ContractSet, reference: Reference) -> list[InboxFile]:
    """Every routable-or-not file of the inbox, in processing order (versions ascending)."""
    if not inbox.exists():
        return []
    files = []
    for path in inbox.rglob("*"):
        if path.is_file():
            routed = route(path, inbox, contracts, reference)
            if routed is not None:
                files.append(routed)
    return sorted(files, key=lambda f: f.sort_key)
