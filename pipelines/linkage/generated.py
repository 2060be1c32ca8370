"""Minimal reading of the synthetic generator's per-act feeds, for the linkage evaluation only.

NOT the ingestion engine: no quarantine, no ledger, no version resolution. Files are routed by the
truth's files.csv (its `contract` column), read with pandas using the contract's encoding,
delimiter and column names (sources/contracts/<contract>.yaml), and only the identity columns are
kept. Files that cannot be read as their contract says (wrong encoding, missing or renamed
identity column, empty file) are skipped and counted. Sex codes go through the contract's code
list; birth dates through its date format (impossible dates become missing).

Identities (with `first_month`, the month of their first file): one per (member, member person
number) for the per-act activity contracts, one per INE for the RIO lists (rows without an INE are
left out: they have no identity key). Among the rows of one identity, the one with the most filled
fields gives its spelling (a member spells a person the same way every time; defects only blank
fields).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

PER_ACT_CONTRACTS = ("cio_per_act_csv", "ml_per_act_csv", "pe_per_act_csv", "cep_per_beneficiary_csv")
RIO_CONTRACT = "rio_csv"
IDENTITY_TARGETS = ("member_person_id", "ine", "last_name", "birth_name", "first_names", "birth_date", "sex_code",
                    "residence_commune_insee", "commune_insee")
OUT_COLUMNS = ["source_kind", "sender_code", "member_person_id", "ine", "last_name", "birth_name", "first_names",
               "birth_date", "sex_code", "residence_commune_insee", "person_id"]


def contracts_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "sources" / "contracts"


def load_contract(name: str) -> dict:
    return yaml.safe_load((contracts_dir() / f"{name}.yaml").read_text(encoding="utf-8"))


def read_identity_file(path: Path, contract: dict) -> pd.DataFrame | None:
    """The identity columns of one file in common-model names, or None when unreadable."""
    spec = contract["file"]
    columns = {c["source"]: c for c in contract["columns"] if c.get("target") in IDENTITY_TARGETS}
    try:
        frame = pd.read_csv(path, sep=spec.get("delimiter", ","), encoding=spec.get("encoding", "utf-8"),
                            dtype=str, keep_default_na=False, na_values=[""], header=int(spec.get("header_row", 1)) - 1)
    except (UnicodeDecodeError, pd.errors.EmptyDataError, pd.errors.ParserError, ValueError):
        return None
    needed = [s for s, c in columns.items() if c.get("required")]
    if any(s not in frame.columns for s in needed):
        return None
    out = pd.DataFrame(index=frame.index)
    for source, col in columns.items():
        values = frame[source] if source in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        target = col["target"]
        if target == "commune_insee":
            target = "residence_commune_insee"
        if col.get("type") == "code" and col.get("codes"):
            values = values.map({str(k): v for k, v in col["codes"].items()})
        if col.get("type") == "date":
            parsed = pd.to_datetime(values, format=col.get("date_format"), errors="coerce")
            values = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)
        out[target] = values.astype(object).where(values.notna(), None)
    out["row_number"] = np.arange(1, len(frame) + 1, dtype=np.int32)
    return out


def read_generated_identities(truth_dir: Path, inbox_dir: Path) -> pd.DataFrame:
    """One row per identity (OUT_COLUMNS), with the true person_id. Attributes: files_read, files_skipped."""
    files = pd.read_csv(truth_dir / "files.csv", dtype=str, keep_default_na=False)
    files = files[files["contract"].isin(PER_ACT_CONTRACTS + (RIO_CONTRACT,))]
    record_persons = pd.read_parquet(truth_dir / "record_persons.parquet")
    record_persons = record_persons[record_persons["file"].isin(set(files["path"]))]
    by_file = {name: g[["row_number", "person_id"]] for name, g in record_persons.groupby("file")}
    contracts = {name: load_contract(name) for name in files["contract"].unique()}
    parts, skipped = [], 0
    for row in files.itertuples(index=False):
        path = inbox_dir / row.path
        if not path.exists():
            skipped += 1
            continue
        frame = read_identity_file(path, contracts[row.contract])
        truth = by_file.get(row.path)
        if frame is None or truth is None or frame.empty:
            skipped += 1
            continue
        frame = frame.merge(truth, on="row_number", how="inner")
        frame["sender_code"] = row.sender_code
        frame["month"] = getattr(row, "month", "")
        frame["source_kind"] = "rio" if row.contract == RIO_CONTRACT else "activity"
        parts.append(frame)
    rows = pd.concat(parts, ignore_index=True)
    for column in OUT_COLUMNS:
        if column not in rows.columns:
            rows[column] = None
    activity = rows[(rows["source_kind"] == "activity") & rows["member_person_id"].notna()].copy()
    activity["identity"] = activity["sender_code"] + ":" + activity["member_person_id"]
    rio = rows[(rows["source_kind"] == "rio") & rows["ine"].notna()].copy()
    rio["identity"] = "INE:" + rio["ine"].str.strip().str.upper()
    rio["member_person_id"] = None
    both = pd.concat([activity, rio], ignore_index=True)
    fields = ["last_name", "birth_name", "first_names", "birth_date", "sex_code", "residence_commune_insee"]
    both["_filled"] = both[fields].notna().sum(axis=1)
    # The true person of an identity: its most frequent person_id (unique by construction).
    person = both.groupby("identity")["person_id"].agg(lambda s: s.value_counts().index[0])
    # The month an identity first arrives in (files.csv's month): what an incremental run sees as new.
    first_month = both.groupby("identity")["month"].min()
    both = both.sort_values(["identity", "_filled"], ascending=[True, False], kind="stable")
    one = both.drop_duplicates("identity", keep="first").copy()
    one["person_id"] = one["identity"].map(person).astype("int64")
    one["first_month"] = one["identity"].map(first_month)
    out = one[OUT_COLUMNS + ["identity", "first_month"]].reset_index(drop=True)
    out.attrs["files_read"] = len(parts)
    out.attrs["files_skipped"] = skipped
    return out
