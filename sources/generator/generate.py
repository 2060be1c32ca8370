"""The run: month by month, sender by sender, write the feeds and record the truth.

Memory stays bounded: only the person table and a small carry between months (planned visits,
redirections being watched) live across months; each file is built, written and forgotten.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from sources.generator import activity, events, lorfolio, rio
from sources.generator.config import GeneratorConfig
from sources.generator.defects import apply_row_defects, plan_row_defects, renamed_header
from sources.generator.identity import ine_strings, name_vocabulary
from sources.generator.population import NO_ACCOUNT
from sources.generator.reference import load_contract
from sources.generator.truth import TruthRecorder
from sources.generator.world import World, build_world, month_bounds, rng_for, stable_key
from sources.generator.writer import csv_bytes, jsonl_bytes, render, write_bytes, xlsx_bytes, xlsx_title_lines

RESEND_KEEPS_DEFECT_SHARE = 0.3      # a corrected re-send still carries ~30% of the row defects
ENCODING_SWAP = {"cp1252": "utf-8", "utf-8": "cp1252", "utf-8-sig": "cp1252"}


@dataclass
class FileJob:
    """One file to send: its name, sender, contract and content in common-model terms."""

    feed: str
    folder: str
    stem: str                 # file name without version suffix and extension
    extension: str
    sender_code: str
    label: str
    contract: str
    frame: pd.DataFrame
    persons: np.ndarray | None = None     # true person behind each clean row, when rows are people
    title_lines: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None     # already rendered (text in the member's terms)

    def path(self, version: int) -> str:
        suffix = f"_v{version}" if version > 1 else ""
        return f"{self.folder}/{self.stem}{suffix}.{self.extension}"


@dataclass
class FileDefectPlan:
    """What happens to a file as a whole, decided before it is written."""

    file_kind: str | None = None
    resend: bool = False
    force_rows: bool = False


@dataclass
class RunStats:
    files: int = 0
    rows: int = 0
    acts: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


class Generator:
    """Holds a run's world, truth recorder and output directory."""

    def __init__(self, config: GeneratorConfig, out_dir: Path, truth_dir: Path,
                 progress: Callable[[str], None] | None = None):
        self.config = config
        self.out_dir = Path(out_dir)
        self.truth_dir = Path(truth_dir)
        if self.truth_dir.resolve().is_relative_to(self.out_dir.resolve()):
            raise ValueError("the ground truth must not be written under the inbox")
        self.progress = progress or (lambda message: None)
        self.stats = RunStats()
        self.world: World = build_world(config)
        self.truth = TruthRecorder(self.truth_dir)
        self.carry = activity.ActivityCarry()
        self.activity_rows: list[dict] = []

    # ------------------------------------------------------------ one file

    def emit(self, job: FileJob, plan: FileDefectPlan) -> None:
        """Render, damage as planned, write v1 (and a corrected v2), and record the truth."""
        contract = load_contract(job.contract)
        rng = rng_for(self.config.seed, "file", job.feed, job.sender_code, job.label)
        table = job.table if job.table is not None else render(job.frame, contract, rng)
        multiplier = self.config.defect_rate
        row_defects = [] if plan.file_kind == "empty_file" else plan_row_defects(
            table, contract, job.label, self.config.row_defect_rates, multiplier, rng, plan.force_rows)
        v1_path = self._write_version(job, contract, table, row_defects, plan.file_kind, 1, None, rng)
        if plan.resend:
            kept = [d for d in row_defects if rng.random() < RESEND_KEEPS_DEFECT_SHARE]
            if plan.file_kind is None and row_defects and len(kept) == len(row_defects):
                # A correction corrects something: keeping every defect re-sent the same bytes, a
                # duplicate that ingestion rightly ignores, while the truth listed its rows again
                # as defects to catch (7 such rows in a region-year).
                kept = kept[:-1]
            self._write_version(job, contract, table, kept, None, 2, v1_path, rng)

    def _write_version(self, job: FileJob, contract: dict, table: pd.DataFrame, row_defects: list,
                       file_kind: str | None, version: int, supersedes: str | None, rng) -> str:
        path = job.path(version)
        dirty, records, source_index = apply_row_defects(table, row_defects)
        file_records = []
        encoding = contract["file"].get("encoding")
        if file_kind in ("missing_column", "renamed_column"):
            required = [c["source"] for c in contract["columns"] if c.get("required")]
            column = required[int(rng.integers(0, len(required)))]
            if file_kind == "missing_column":
                dirty = dirty.drop(columns=[column])
                file_records.append((None, file_kind, f"colonne absente : {column}"))
            else:
                new_name = renamed_header(column)
                dirty = dirty.rename(columns={column: new_name})
                file_records.append((None, file_kind, f"colonne renommée : {column} -> {new_name}"))
        elif file_kind == "wrong_encoding":
            encoding = ENCODING_SWAP[encoding]
            file_records.append((None, file_kind, f"encodé en {encoding} au lieu de {contract['file']['encoding']}"))
        elif file_kind == "empty_file":
            file_records.append((None, file_kind, "fichier vide (0 octet)"))
        elif file_kind == "unknown_member":
            file_records.append((None, file_kind, f"émetteur inconnu du référentiel : {job.sender_code}"))
        if supersedes:
            file_records.append((None, "resent_corrected_file", f"remplace {supersedes}"))

        kind = contract["file"]["type"]
        if file_kind == "empty_file":
            payload, rows = b"", 0
        elif kind == "csv":
            payload, rows = csv_bytes(dirty, contract, encoding), len(dirty)
        elif kind == "jsonl":
            payload, rows = jsonl_bytes(dirty, contract), len(dirty)
        else:
            payload, rows = xlsx_bytes(dirty, contract, job.title_lines), len(dirty)
        if file_kind == "wrong_encoding" and payload.isascii():
            # Pure ASCII is the same bytes in UTF-8 and CP1252: the file is not wrongly encoded at
            # all, so the truth must not list a defect no reader could see (a region-scale run had
            # one such file, an aggregate export of codes only).
            file_records = [record for record in file_records if record[1] != "wrong_encoding"]
        sha = write_bytes(self.out_dir / path, payload)
        self.truth.add_file(path=path, feed=job.feed, sender_code=job.sender_code, month=job.label,
                            contract=job.contract, version=version, supersedes=supersedes or "", rows=rows,
                            sha256=sha)
        if file_kind != "empty_file":
            self.truth.add_defects(path, records)
            if job.persons is not None:
                self.truth.add_record_persons(path, job.persons[source_index])
        self.truth.add_defects(path, file_records)
        self.stats.files += 1
        self.stats.rows += rows
        return path

    def file_plan(self, job: FileJob, forced: dict[str, str], force_rows_for: set[str]) -> FileDefectPlan:
        """Random file-level defects at the configured rates, or the ones forced at tiny scale."""
        key = job.path(1)
        plan = FileDefectPlan(force_rows=key in force_rows_for)
        if forced:
            kind = forced.get(key)
            if kind == "resent_corrected_file":
                plan.resend = True
            elif kind:
                plan.file_kind = kind
            return plan
        rng = rng_for(self.config.seed, "file-defects", key)
        rates = self.config.file_defect_rates
        multiplier = self.config.defect_rate
        candidates = ["missing_column", "renamed_column", "empty_file"]
        if load_contract(job.contract)["file"]["type"] == "csv":
            candidates.append("wrong_encoding")
        u = rng.random()
        cumulative = 0.0
        for kind in candidates:
            cumulative += rates[kind] * multiplier
            if u < cumulative:
                plan.file_kind = kind
                break
        plan.resend = plan.file_kind != "empty_file" and rng.random() < rates["resent_corrected_file"] * multiplier
        return plan

    # ------------------------------------------------------------ feeds of one month

    def activity_jobs(self, month_index: int, acts: pd.DataFrame) -> list[FileJob]:
        """One file per member in play, in its network's shape. Rows of all members sharing a shape are
        built and rendered together (per-file pandas overhead dominates otherwise), then split."""
        world = self.world
        label = world.months[month_index]
        formats = world.members["network_code"].map(lambda code: world.networks[code].export_format).to_numpy()
        act_formats = formats[acts["member_idx"].to_numpy()] if len(acts) else np.array([], dtype=object)
        jobs_by_member: dict[int, FileJob] = {}
        for export_format in sorted(set(formats)):
            contract = load_contract(export_format)
            rng = rng_for(self.config.seed, "activity", export_format, label)
            shape_acts = acts[act_formats == export_format] if len(acts) else acts
            if contract["grain"] == "aggregate":
                frame = activity.aggregate_frame(world, shape_acts, label, export_format == "aggregate_csv")
                persons = None
            else:
                frame = activity.per_act_frame(world, shape_acts, export_format, label, month_index, rng)
                persons = shape_acts["person"].to_numpy()
            table = render(frame, contract, rng)
            owner = (frame["member_idx"].to_numpy() if contract["grain"] == "aggregate"
                     else shape_acts["member_idx"].to_numpy())
            order = np.argsort(owner, kind="stable")
            bounds = np.searchsorted(owner[order], np.arange(len(world.members) + 1))
            for member_idx in np.flatnonzero(formats == export_format):
                rows = order[bounds[member_idx]:bounds[member_idx + 1]]
                member = world.members.iloc[member_idx]
                extension = contract["file"]["type"]
                title = (xlsx_title_lines(member["member_name"], label, contract["file"]["header_row"])
                         if extension == "xlsx" else [])
                jobs_by_member[member_idx] = FileJob(
                    "activity", "activity", f"{member['member_code']}_{label}", extension, member["member_code"],
                    label, export_format, frame.iloc[rows], None if persons is None else persons[rows], title,
                    table=table.iloc[rows].reset_index(drop=True))
        return [jobs_by_member[i] for i in sorted(jobs_by_member)]

    def unknown_member_job(self, jobs: list[FileJob], month_index: int) -> FileJob | None:
        """A file from a structure missing from the members registry (a copy of a real member's month)."""
        per_act = [job for job in jobs if job.persons is not None and len(job.frame)]
        if not per_act:
            return None
        rng = rng_for(self.config.seed, "unknown-member", self.world.months[month_index])
        source = per_act[int(rng.integers(0, len(per_act)))]
        known = set(self.world.ref.members["member_code"])
        prefix = source.sender_code.rstrip("0123456789")
        code = next(f"{prefix}{n}" for n in range(999, 900, -1) if f"{prefix}{n}" not in known)
        return FileJob("activity", "activity", f"{code}_{source.label}", source.extension, code, source.label,
                       source.contract, source.frame, source.persons, table=source.table)

    def run_month(self, month_index: int) -> None:
        world = self.world
        label = world.months[month_index]
        seed = self.config.seed
        forced_files, forced_rows = self.forced_defects(month_index)

        # PSAD first: the young people they hand over to a Mission locale may show up this month.
        rio_entries = rio.plan_rio_month(world, month_index, rng_for(seed, "rio-plan", label))
        rio_jobs, followups = [], []
        for psad_idx, psad in world.psad.iterrows():
            entries = rio_entries[rio_entries["psad_idx"] == psad_idx] if len(rio_entries) else pd.DataFrame(
                {"person": np.array([], dtype=np.int64)})
            rng = rng_for(seed, "rio", psad["psad_code"], label)
            frame = rio.rio_frame(world, entries, label, rng)
            rio_jobs.append(FileJob("rio", "rio", f"{psad['psad_code']}_{label}_rio", "csv", psad["psad_code"], label,
                                    "rio_csv", frame, entries["person"].to_numpy()))
            followup = rio.followup_frame(world, entries, label, rng_for(seed, "psad", psad["psad_code"], label))
            followups.append(followup.assign(psad_code=psad["psad_code"]))
            rio_jobs.append(FileJob("psad_followup", "psad", f"{psad['psad_code']}_{label}_suivi", "csv",
                                    psad["psad_code"], label, "psad_followup_csv",
                                    followup.drop(columns=["_person"]), followup["_person"].to_numpy()))
            self.carry.add_pending(rio.handover_visits(world, followup, rng_for(seed, "psad-handover",
                                                                                psad["psad_code"], label)))
        self.record_rio_indicators(label, followups)

        acts = activity.plan_month(world, month_index, self.carry)
        self.track_redirections(label, acts)
        self.record_activity_indicators(label, acts)
        jobs = self.activity_jobs(month_index, acts)
        unknown_rate = self.config.file_defect_rates["unknown_member"] * self.config.defect_rate
        wants_unknown = (forced_files and "unknown_member" in forced_files.values()) or (
            not forced_files and rng_for(seed, "unknown-member?", label).random() < unknown_rate * len(jobs))
        for job in jobs + rio_jobs:
            self.emit(job, self.file_plan(job, forced_files, forced_rows))
        if wants_unknown:
            stray = self.unknown_member_job(jobs, month_index)
            if stray is not None:
                self.emit(stray, FileDefectPlan(file_kind="unknown_member"))
        self.stats.acts += len(acts)
        del acts, jobs

        lorfolio_events = lorfolio.plan_lorfolio_month(world, month_index, rng_for(seed, "lorfolio-plan", label))
        self.record_lorfolio_indicators(label, month_index, lorfolio_events)
        job = FileJob("lorfolio", "lorfolio", f"lorfolio_{label}", "jsonl", "LORFOLIO", label, "lorfolio_jsonl",
                      lorfolio.lorfolio_frame(world, lorfolio_events))
        self.emit(job, self.file_plan(job, forced_files, forced_rows))
        del lorfolio_events

        agenda = events.plan_events(world, month_index, rng_for(seed, "events-plan", label))
        registrations = events.plan_registrations(world, agenda, label, rng_for(seed, "registrations-plan", label))
        event_jobs = [FileJob("events", "events", f"agenda_{label}_evenements", "csv", "AGENDA", label,
                              "agenda_events_csv", agenda)]
        if len(registrations):
            reg_frame = events.registrations_frame(world, agenda, registrations, rng_for(seed, "reg", label))
            satisfaction = events.satisfaction_frame(agenda, registrations, rng_for(seed, "satisfaction", label))
            event_jobs.append(FileJob("registrations", "events", f"agenda_{label}_inscriptions", "csv", "AGENDA",
                                      label, "agenda_registrations_csv", reg_frame,
                                      registrations["person"].to_numpy()))
            event_jobs.append(FileJob("satisfaction", "events", f"agenda_{label}_satisfaction", "csv", "AGENDA",
                                      label, "agenda_satisfaction_csv", satisfaction.drop(columns=["_person"]),
                                      satisfaction["_person"].to_numpy()))
        self.record_event_indicators(label, agenda, registrations)
        for job in event_jobs:
            self.emit(job, self.file_plan(job, forced_files, forced_rows))

    # ------------------------------------------------------------ forced defects (tiny scale)

    def forced_defects(self, month_index: int) -> tuple[dict[str, str], set[str]]:
        """At tiny scale, month 1 carries every defect kind: row kinds in the first file of each shape,
        file kinds in other files, so that ingestion tests always find each kind."""
        if not self.config.forces_every_kind or month_index != 0:
            return {}, set()
        label = self.world.months[0]
        members = self.world.members
        formats = {code: net.export_format for code, net in self.world.networks.items()}
        by_format: dict[str, list[str]] = {}
        for member in members.itertuples(index=False):
            extension = "xlsx" if formats[member.network_code] == "aggregate_xlsx" else "csv"
            by_format.setdefault(formats[member.network_code], []).append(
                f"activity/{member.member_code}_{label}.{extension}")
        first_files = {paths[0] for paths in by_format.values()}
        psad = self.world.psad["psad_code"].tolist()
        first_files |= {f"rio/{psad[0]}_{label}_rio.csv", f"psad/{psad[0]}_{label}_suivi.csv",
                        f"lorfolio/lorfolio_{label}.jsonl", f"events/agenda_{label}_evenements.csv",
                        f"events/agenda_{label}_inscriptions.csv", f"events/agenda_{label}_satisfaction.csv"}

        def second(fmt: str) -> str:
            paths = by_format.get(fmt, [])
            return paths[1] if len(paths) > 1 else paths[0]

        forced = {second("cio_per_act_csv"): "missing_column", second("ml_per_act_csv"): "renamed_column",
                  second("pe_per_act_csv"): "wrong_encoding", second("aggregate_csv"): "empty_file",
                  by_format["cep_per_beneficiary_csv"][0]: "resent_corrected_file",
                  "__stray__": "unknown_member"}
        if len(psad) > 1:
            forced[f"rio/{psad[1]}_{label}_rio.csv"] = "resent_corrected_file"
        return forced, first_files

    # ------------------------------------------------------------ truth indicators

    def record_activity_indicators(self, label: str, acts: pd.DataFrame) -> None:
        world = self.world
        counts = acts.groupby("member_idx").agg(acts=("person", "size"), people=("person", "nunique")) \
            if len(acts) else pd.DataFrame(columns=["acts", "people"])
        rows = []
        for member_idx, member in world.members.iterrows():
            network = world.networks[member["network_code"]]
            row = counts.loc[member_idx] if member_idx in counts.index else None
            rows.append({"month": label, "member_code": member["member_code"], "network_code": network.code,
                         "export_format": network.export_format,
                         "grain": "aggregate" if network.is_aggregate else "act",
                         "acts": int(row["acts"]) if row is not None else 0,
                         "people": int(row["people"]) if row is not None else 0})
        self.truth.add_indicator_rows("activity_by_member_month", rows)
        if len(acts):
            bits = np.array([world.networks[c].bit for c in world.members["network_code"]], dtype=np.uint32)
            seen_bits = (np.uint32(1) << bits[acts["member_idx"].to_numpy()]).astype(np.uint32)
            np.bitwise_or.at(world.population.networks_seen, acts["person"].to_numpy(), seen_bits)
            by_net = acts.groupby("network").agg(acts=("person", "size"), people=("person", "nunique"))
            distance = acts["channel_code"].isin(["TEL", "VISIO", "MAIL", "DEMAT"]).groupby(acts["network"]).mean()
            female = pd.Series(world.population.sex_female[acts["person"].to_numpy()]).groupby(
                acts["network"].to_numpy()).mean()
            self.truth.add_indicator_rows("activity_by_network_month", [
                {"month": label, "network_code": net, "acts": int(r.acts), "people": int(r.people),
                 "distance_share": round(float(distance[net]), 6), "female_act_share": round(float(female[net]), 6)}
                for net, r in by_net.iterrows()])

    def track_redirections(self, label: str, acts: pd.DataFrame) -> None:
        """Mark, for each open redirection, the first act of the person at the target member after it."""
        redirects = self.carry.redirects
        if redirects.empty or acts.empty:
            return
        first, _ = month_bounds(label)
        open_rows = redirects["seen_date"].isna() & (redirects["date"] >= first - np.timedelta64(91, "D"))
        candidates = redirects[open_rows].reset_index()
        seen = candidates.merge(acts[["person", "member_idx", "act_date"]],
                                left_on=["person", "target_member_idx"], right_on=["person", "member_idx"])
        seen = seen[seen["act_date"] > seen["date"]]
        if seen.empty:
            return
        first_seen = seen.groupby("index")["act_date"].min()
        redirects.loc[first_seen.index, "seen_date"] = first_seen.to_numpy()

    def redirection_indicators(self) -> list[dict]:
        redirects = self.carry.redirects
        if redirects.empty:
            return []
        _, period_end = month_bounds(self.world.months[-1])
        delay = (redirects["seen_date"] - redirects["date"]).dt.days
        aggregate_targets = np.array([self.world.networks[c].is_aggregate for c in self.world.members["network_code"]])
        frame = redirects.assign(
            seen_30=delay.le(30).fillna(False).astype(bool), seen_90=delay.le(90).fillna(False).astype(bool),
            complete_90=(redirects["date"] + pd.Timedelta(days=90)) < pd.Timestamp(period_end),
            target_is_aggregate=aggregate_targets[redirects["target_member_idx"].to_numpy()])
        rows = []
        for month, group in frame.groupby("month", sort=True):
            rows.append({
                "month": month,
                "redirect_acts": int(len(group)),
                "redirected_people": int(group["person"].nunique()),
                "people_followup_planned": int(group.loc[group["followup_planned"], "person"].nunique()),
                "people_seen_within_30_days": int(group.loc[group["seen_30"], "person"].nunique()),
                "people_seen_within_90_days": int(group.loc[group["seen_90"], "person"].nunique()),
                "redirected_people_to_per_act_members": int(group.loc[~group["target_is_aggregate"], "person"].nunique()),
                "people_seen_within_90_days_at_per_act_members": int(
                    group.loc[group["seen_90"] & ~group["target_is_aggregate"], "person"].nunique()),
                "window_90_days_complete": bool(group["complete_90"].all()),
            })
        return rows

    def record_rio_indicators(self, label: str, followups: list[pd.DataFrame]) -> None:
        rows = []
        for followup in followups:
            n = len(followup)
            outcome_counts = followup["outcome_code"].value_counts().to_dict() if n else {}
            rows.append({"month": label, "psad_code": followup["psad_code"].iat[0] if n else None,
                         "entries": n, "contacted": int(pd.Series(followup["contact_date"]).notna().sum()) if n else 0,
                         "outcomes": {k: int(v) for k, v in sorted(outcome_counts.items())}})
        for row, psad_code in zip(rows, self.world.psad["psad_code"]):
            row["psad_code"] = psad_code
        self.truth.add_indicator_rows("rio_by_psad_month", rows)

    def record_lorfolio_indicators(self, label: str, month_index: int, log: pd.DataFrame) -> None:
        self.truth.add_indicator_rows("lorfolio_by_month", [{
            "month": label, "events": int(len(log)),
            "accounts_created": int((log["action"] == "ACCOUNT_CREATED").sum()) if len(log) else 0,
            "active_accounts": int(log["person"].nunique()) if len(log) else 0}])

    def record_event_indicators(self, label: str, agenda: pd.DataFrame, registrations: pd.DataFrame) -> None:
        self.truth.add_indicator_rows("events_by_month", [{
            "month": label, "events": int(len(agenda)),
            "registrations": int(len(registrations)),
            "attended": int(registrations["attended"].sum()) if len(registrations) else 0,
            "events_by_type": {k: int(v) for k, v in sorted(agenda["event_type_code"].value_counts().items())}
            if len(agenda) else {}}])

    # ------------------------------------------------------------ the whole run

    def persons_table(self) -> pd.DataFrame:
        """The true identity of everyone in the hidden population."""
        world = self.world
        pop = world.population
        vocab = name_vocabulary()
        idx = np.arange(pop.size)
        birth_name = vocab["last"][pop.last_idx]
        married = pop.married_idx >= 0
        usage = np.where(married, vocab["last"][np.maximum(pop.married_idx, 0)], birth_name)
        second = pop.second_name_strings(idx)
        first = pop.first_name_strings(idx)
        first_names = np.where(second == "", first, pd.Series(first) + " " + pd.Series(second))
        has_account = pop.lorfolio_created != NO_ACCOUNT
        accounts = np.full(pop.size, None, dtype=object)
        accounts[has_account] = lorfolio.account_ids(self.config.seed, idx[has_account])
        return pd.DataFrame({
            "person_id": idx.astype(np.int64),
            "last_name": usage, "birth_name": birth_name, "first_names": first_names,
            "birth_date": pop.birth_date.astype("datetime64[D]"),
            "sex_code": np.where(pop.sex_female, "F", "M"),
            "commune_insee": world.ref.communes["commune_insee"].to_numpy(dtype=object)[pop.commune_idx],
            "bassin_code": world.ref.bassins["bassin_code"].to_numpy(dtype=object)[pop.bassin_idx],
            "ine": ine_strings(self.config.seed, idx),
            "rqth": pop.rqth,
            "lorfolio_account_id": accounts,
            "rio_month": np.where(pop.rio_month >= 0, np.array(world.months + [""], dtype=object)[
                np.where(pop.rio_month >= 0, pop.rio_month, len(world.months))], None),
            "networks_seen": pop.networks_seen.astype(np.int64),
        })

    def period_indicators(self) -> dict:
        seen = self.world.population.networks_seen
        popcount = np.zeros(seen.size, dtype=np.int64)
        for bit in range(32):
            popcount += (seen >> np.uint32(bit)) & np.uint32(1)
        by_network = {code: int(((seen >> np.uint32(net.bit)) & np.uint32(1)).sum())
                      for code, net in self.world.networks.items()}
        return {"period": {"months": self.world.months, "people_served": int((popcount > 0).sum()),
                           "people_seen_by_several_networks": int((popcount > 1).sum()),
                           "people_served_by_network": by_network,
                           "population_size": int(seen.size),
                           "rio_people_seen_by_ml": self._rio_people_seen_by_ml()},
                "redirections_by_month": self.redirection_indicators()}

    def _rio_people_seen_by_ml(self) -> int:
        ml = self.world.networks.get("ML")
        if ml is None:
            return 0
        pop = self.world.population
        return int(((pop.rio_month >= 0) & ((pop.networks_seen >> np.uint32(ml.bit)) & np.uint32(1) > 0)).sum())

    def run(self) -> RunStats:
        rng = rng_for(self.config.seed, "lorfolio-preexisting")
        lorfolio.open_preexisting_accounts(self.world, rng)
        for month_index, label in enumerate(self.world.months):
            month_start = time.perf_counter()
            self.run_month(month_index)
            self.progress(f"[{month_index + 1}/{len(self.world.months)}] {label} : {self.stats.files} fichiers, "
                          f"{self.stats.acts} actes, {self.stats.rows} lignes au total "
                          f"(mois en {time.perf_counter() - month_start:.1f} s, {self.stats.seconds:.0f} s écoulées)")
        generation = self.config.as_record()
        generation["members_in_play"] = self.world.members["member_code"].tolist()
        generation["psad_in_play"] = self.world.psad["psad_code"].tolist()
        self.truth.close(generation, self.period_indicators(), self.persons_table())
        return self.stats


def generate(config: GeneratorConfig, out_dir: Path, truth_dir: Path,
             progress: Callable[[str], None] | None = None) -> RunStats:
    """Write the feeds of a period to out_dir and the ground truth to truth_dir."""
    return Generator(config, out_dir, truth_dir, progress).run()
