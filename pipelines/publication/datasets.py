"""From the indicator tables to the protected, published datasets of a Region extract.

One dataset per indicator family (suivi, qualité, performance), in the long format of
docs/architecture.md, over the bassin -> agency -> region and bassin -> département -> region
hierarchies, by network (monthly extracts) and by month and year (yearly extracts).

Disclosure control (pipelines/publication/disclosure.py) runs per count-of-people indicator:
- a count of people below the catalogue's threshold is a primary secret;
- secondary suppression protects it along every additive relation: territories, networks, months
  within the year;
- rates, medians and means are hidden when the people they are computed on are below the threshold.
People counts of the totals are distinct counts (a person seen in two bassins counts once in the
region), so they are only *nearly* additive. The protection pattern is computed on the additive
approximation (totals = sums of the bassins), which is exactly what an attacker would use to
recompute a hidden cell; the statuses found are then applied to the real published values.

Extracts of one year share cells: a monthly extract's all-network cells of month M are the month M
cells of the yearly extract. Protected separately, one could publish what the other hides (and let
an attacker subtract). So each extract is protected with the statuses the other extracts of the same
year (their LATEST versions) already gave to the shared cells held fixed: published stays published,
hidden stays hidden, and the cells it may newly hide are its own (see suppression.py). The re-audit
of a written extract fails if a shared cell is published in one extract and hidden in another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.indicators.catalogue import Indicator, load_catalogue
from pipelines.publication.audit import STATUS_PRIMARY, STATUS_PUBLISHED, audit_problem
from pipelines.publication.disclosure_tables import (
    DisclosureError,
    DisclosureTable,
    Dimension,
    build_margins,
    build_problem,
    geography_dimension,
)
from pipelines.publication.extract_formats import DATASET_COLUMNS
from pipelines.publication.extracts import Dataset, latest_version_dir
from pipelines.publication.suppression import protect_tables

FAMILY_LABELS_FR = {
    "suivi": "Indicateurs de suivi",
    "qualite": "Indicateurs de qualité",
    "performance": "Indicateurs de performance",
}
# Territory levels of the indicator tables -> published French level names.
LEVELS_FR = {"bassin": "bassin", "agency": "agence", "departement": "departement", "region": "region"}
# Codes are made unique across levels for the disclosure engine (a bassin and a département can
# both be "08").
LEVEL_PREFIX = {"bassin": "B:", "agency": "A:", "departement": "D:", "region": ""}
LEVEL_OF_PREFIX = {prefix: level for level, prefix in LEVEL_PREFIX.items() if prefix}
LEVEL_OF_FR = {fr: level for level, fr in LEVELS_FR.items()}
REGION_CODE = "GE"
REGION_LABEL = "Grand Est"
ALL_NETWORKS = "TOUS"


@dataclass(frozen=True)
class Period:
    """A monthly ('2025-03') or yearly ('2025') extract period."""

    label: str

    @property
    def is_year(self) -> bool:
        return len(self.label) == 4

    @property
    def kind(self) -> str:
        return "annuel" if self.is_year else "mensuel"

    @property
    def year(self) -> int:
        return int(self.label[:4])

    def sharing_cells(self) -> list[Period]:
        """The other periods whose extracts share cells with this one (same year)."""
        if self.is_year:
            return [Period(f"{self.year}-{month:02d}") for month in range(1, 13)]
        return [Period(str(self.year))]


def _period_filter(period: Period) -> str:
    if period.is_year:
        return (f"((period_grain = 'month' and extract(year from period_start) = {period.year}) "
                f"or (period_grain = 'year' and extract(year from period_start) = {period.year}))")
    return f"(period_grain = 'month' and period_start = date '{period.label}-01')"


def read_indicator_rows(con: duckdb.DuckDBPyConnection, family: str, period: Period) -> pd.DataFrame:
    """Rows of one family at the published territory levels, total and by network, for the period.

    Yearly extracts carry the network breakdown only in monthly extracts: with twelve months and
    the year, the network dimension multiplies the cells to protect beyond what is useful.
    """
    breakdowns = "('total')" if period.is_year else "('total', 'network')"
    sql = f"""
        select indicator_code, period_grain, period_start, geo_level, geo_code, breakdown, breakdown_value,
               numerator, denominator, value, numerator_people, denominator_people
        from indicators.ind_{family}
        where geo_level = 'bassin' and breakdown in {breakdowns} and {_period_filter(period)}
        union all
        select indicator_code, period_grain, period_start, geo_level, geo_code, breakdown, breakdown_value,
               numerator, denominator, value, numerator_people, denominator_people
        from indicators.ind_{family}_totals
        where geo_level in ('agency', 'departement', 'region') and breakdown in {breakdowns}
          and {_period_filter(period)}
    """
    rows = con.execute(sql).df()
    rows["periode"] = np.where(
        rows["period_grain"] == "year",
        rows["period_start"].dt.strftime("%Y"),
        rows["period_start"].dt.strftime("%Y-%m"),
    )
    rows["reseau"] = np.where(rows["breakdown"] == "network", rows["breakdown_value"], ALL_NETWORKS)
    rows["geo"] = [
        REGION_CODE if level == "region" else LEVEL_PREFIX[level] + str(code)
        for level, code in zip(rows["geo_level"], rows["geo_code"])
    ]
    return rows


def geography(con: duckdb.DuckDBPyConnection) -> tuple[Dimension, dict[str, str]]:
    """The geography dimension (two hierarchies) and the French label of every territory."""
    ref = con.execute(
        "select bassin_code, bassin_name, agency_code, departement_code from seeds.ref_bassins"
    ).df()
    agencies = dict(con.execute("select agency_code, agency_name from seeds.ref_agencies").fetchall())
    departements = dict(con.execute("select departement_code, departement_name from seeds.ref_departements").fetchall())
    prefixed = pd.DataFrame({
        "bassin_code": "B:" + ref["bassin_code"],
        "agency_code": "A:" + ref["agency_code"],
        "departement_code": "D:" + ref["departement_code"],
        "region_code": REGION_CODE,
    })
    labels = {REGION_CODE: REGION_LABEL}
    labels.update({"B:" + c: n for c, n in zip(ref["bassin_code"], ref["bassin_name"])})
    labels.update({"A:" + c: n for c, n in agencies.items()})
    labels.update({"D:" + c: n for c, n in departements.items()})
    return geography_dimension(prefixed), labels


def _is_people_count(indicator: Indicator) -> bool:
    return indicator.value_type == "count" and "numerator" in indicator.people_counts


def protection_tables(rows: pd.DataFrame, indicator: Indicator, geo: Dimension, period: Period, *,
                      name: str | None = None, statuses: pd.DataFrame | None = None,
                      missing_status: str | None = None,
                      leaf_people: pd.Series | None = None) -> list[DisclosureTable]:
    """The additive tables that protect one count-of-people indicator (see module docstring).

    A total whose real (distinct) count is below the threshold is forced primary even when the sum
    of its bassins is not, so that it is protected like any small cell.
    ``statuses`` (columns geo, reseau, periode, statut) fixes the status of the cells an extract
    already published, ``missing_status`` that of its cells without a row (an absent row reads as
    a published zero). ``leaf_people`` (indexed by geo, periode) replaces the bassin-month leaves
    of a yearly table by the sums over networks the monthly tables use, so that cells shared with
    them carry the same value in both.
    """
    mine = rows[rows["indicator_code"] == indicator.code]
    bassins = mine[mine["geo_level"] == "bassin"]
    months = sorted(p for p in bassins["periode"].unique() if len(p) == 7)
    networks = sorted(n for n in bassins["reseau"].unique() if n != ALL_NETWORKS)
    leaves = bassins[bassins["periode"].str.len() == 7]
    dimensions = [geo]
    columns = ["geo"]
    if networks:
        dimensions.append(Dimension.flat("reseau", networks, total=ALL_NETWORKS))
        columns.append("reseau")
        leaves = leaves[leaves["reseau"] != ALL_NETWORKS]
    else:
        leaves = leaves[leaves["reseau"] == ALL_NETWORKS]
        mine = mine[mine["reseau"] == ALL_NETWORKS]
    if period.is_year and months:
        dimensions.append(Dimension.hierarchical("periode", {m: period.label for m in months}))
        columns.append("periode")
    else:
        mine = mine[mine["periode"].isin(months)]
    if leaves.empty:
        return []
    leaf_frame = leaves[columns].copy()
    leaf_frame["people"] = leaves["numerator"].fillna(0).astype(float).to_numpy()
    if leaf_people is not None and "periode" in columns:
        summed = leaf_people.reindex(pd.MultiIndex.from_frame(leaf_frame[["geo", "periode"]])).to_numpy()
        leaf_frame["people"] = np.where(np.isnan(summed), leaf_frame["people"], summed)
    frame = build_margins(leaf_frame, dimensions, "people")
    actual = pd.Series(mine["numerator"].astype(float).to_numpy(), index=_cell_index(mine, columns))
    actual = actual[~actual.index.duplicated()]
    real = actual.reindex(_cell_index(frame, columns)).to_numpy()
    threshold = indicator.disclosure_threshold
    frame["forced_primary"] = (real > 0) & (real < threshold)
    constants = {} if "periode" in columns else {"periode": period.label}
    fixed_column = None
    if statuses is not None:
        frame["fixed_status"] = _fixed_statuses(frame, statuses, constants, missing_status)
        fixed_column = "fixed_status"
    return [DisclosureTable(name or indicator.code, frame, dimensions, "people", threshold=threshold,
                            forced_primary_column="forced_primary", measure_key=indicator.code,
                            constant_coordinates=constants, fixed_status_column=fixed_column)]


def _fixed_statuses(frame: pd.DataFrame, statuses: pd.DataFrame, constants: dict[str, str],
                    missing_status: str | None) -> np.ndarray:
    """Status of each cell of ``frame`` in ``statuses`` (``missing_status`` where it has no row)."""
    keys = pd.DataFrame({
        "geo": frame["geo"].astype(str),
        "reseau": frame["reseau"].astype(str) if "reseau" in frame else ALL_NETWORKS,
        "periode": frame["periode"].astype(str) if "periode" in frame else constants["periode"],
    })
    lookup = statuses.drop_duplicates(["geo", "reseau", "periode"]).set_index(["geo", "reseau", "periode"])["statut"]
    found = lookup.reindex(pd.MultiIndex.from_frame(keys)).to_numpy(dtype=object)
    return np.where(pd.isna(found), missing_status, found)


def network_leaf_people(con: duckdb.DuckDBPyConnection, family: str, period: Period) -> pd.DataFrame:
    """Per indicator, bassin and month of a year: the sum over networks of the people counted.

    It is the value the monthly tables give a bassin's all-network cell (their additive
    approximation), which the yearly table must share.
    """
    sql = f"""
        select indicator_code, strftime(period_start, '%Y-%m') as periode, 'B:' || geo_code as geo,
               sum(coalesce(numerator, 0)) as people
        from indicators.ind_{family}
        where geo_level = 'bassin' and breakdown = 'network' and period_grain = 'month'
          and extract(year from period_start) = {period.year}
        group by all
    """
    return con.execute(sql).df()


def context_tables(con: duckdb.DuckDBPyConnection, family: str, catalogue: dict[str, Indicator], geo: Dimension,
                   elsewhere: pd.DataFrame) -> list[DisclosureTable]:
    """The tables of the other extracts of the year, every cell's status fixed as they published it."""
    tables = []
    for source in sorted(elsewhere["source"].unique()):
        period = Period(source)
        published = elsewhere[elsewhere["source"] == source]
        rows = read_indicator_rows(con, family, period)
        leaves = yearly_leaf_people(con, family, period)
        for code in sorted(set(rows["indicator_code"]) & set(published["indicateur"])):
            if code in catalogue and _is_people_count(catalogue[code]):
                tables += protection_tables(rows, catalogue[code], geo, period, name=f"{code}@{source}",
                                            statuses=published[published["indicateur"] == code],
                                            missing_status=STATUS_PUBLISHED, leaf_people=leaves.get(code))
    return tables


def yearly_leaf_people(con: duckdb.DuckDBPyConnection, family: str, period: Period) -> dict[str, pd.Series]:
    """{indicator: network_leaf_people indexed by (geo, periode)} for a yearly period; {} for a month."""
    if not period.is_year:
        return {}
    sums = network_leaf_people(con, family, period)
    return {code: group.set_index(["geo", "periode"])["people"] for code, group in sums.groupby("indicator_code")}


def statuses_published_elsewhere(exports_dir: Path | None, period: Period) -> pd.DataFrame:
    """The statuses the latest extracts of the other periods of the year gave to their cells.

    The first published wins: an extract generated after this period's latest version was itself
    protected with this one's statuses fixed, so it is not a constraint here, and a re-run of this
    period reproduces its content.
    Columns: family, indicateur, geo (engine code), reseau, periode, statut, source (period label).
    Empty when nothing else of the year was published (or no exports folder is given).
    """
    if exports_dir is None:
        return pd.DataFrame(columns=["family", "indicateur", "geo", "reseau", "periode", "statut", "source"])
    own = latest_version_dir(Path(exports_dir), period.label)
    own_time = _generated_at(own) if own is not None else None
    frames = []
    for other in period.sharing_cells():
        folder = latest_version_dir(Path(exports_dir), other.label)
        if folder is None or (own_time is not None and _generated_at(folder) >= own_time):
            continue
        for family in FAMILY_LABELS_FR:
            csv = folder / f"{family}.csv"
            if not csv.exists():
                continue
            frames.append(written_statuses(csv).assign(family=family, source=other.label))
    columns = ["family", "indicateur", "geo", "reseau", "periode", "statut", "source"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def written_statuses(csv: Path) -> pd.DataFrame:
    """The status of every cell of an extract's CSV file: indicateur, geo (engine code), reseau, periode, statut."""
    published = pd.read_csv(csv, dtype=str, keep_default_na=False)
    return pd.DataFrame({"indicateur": published["indicateur"], "geo": _engine_geo_codes(published),
                         "reseau": published["reseau"], "periode": published["periode"],
                         "statut": published["statut"]})


def _generated_at(version_dir: Path) -> str:
    return json.loads((version_dir / "manifest.json").read_text())["generated_at"]


def _engine_geo_codes(published: pd.DataFrame) -> list[str]:
    """Published (level, code) pairs back to the engine's prefixed territory codes."""
    return [
        REGION_CODE if level == "region" else LEVEL_PREFIX[LEVEL_OF_FR[level]] + code
        for level, code in zip(published["niveau_territoire"], published["code_territoire"])
    ]


def _cell_index(frame: pd.DataFrame, dims: list[str]) -> pd.Index:
    """The cells' coordinates as an index (a plain index for one dimension, a MultiIndex otherwise)."""
    return pd.MultiIndex.from_frame(frame[dims]) if len(dims) > 1 else pd.Index(frame[dims[0]])


def _hidden_cells_missing_from_rows(rows: pd.DataFrame, result, tables: list[DisclosureTable]) -> pd.DataFrame:
    """Hidden cells that have no row (a true zero, absent from the indicator table): add them, hidden.

    An absent row reads as a published zero; a cell the protection hides must be present and flagged.
    """
    added = []
    for table in tables:
        protected = result.table(table.name)
        hidden = protected[protected["status"] != STATUS_PUBLISHED]
        dims = table.dimension_names
        mine = rows[rows["indicator_code"] == table.name]
        if "reseau" not in dims:
            mine = mine[mine["reseau"] == ALL_NETWORKS]
        present = set(map(tuple, mine[dims].astype(str).itertuples(index=False)))
        for cell in hidden.itertuples(index=False):
            values = {d: str(getattr(cell, d)) for d in dims}
            if tuple(values[d] for d in dims) in present:
                continue
            geo_code = values["geo"]
            level = "region" if geo_code == REGION_CODE else LEVEL_OF_PREFIX[geo_code[:2]]
            reseau = values.get("reseau", ALL_NETWORKS)
            periode = values.get("periode", mine["periode"].iloc[0] if len(mine) else "")
            added.append({
                "indicator_code": table.name, "period_grain": "year" if len(periode) == 4 else "month",
                "geo_level": level, "geo_code": geo_code.split(":", 1)[-1] if level != "region" else "44",
                "breakdown": "total" if reseau == ALL_NETWORKS else "network", "breakdown_value": reseau,
                "numerator": 0.0, "denominator": None, "value": 0.0, "numerator_people": 0.0,
                "denominator_people": None, "periode": periode, "reseau": reseau, "geo": geo_code,
            })
    return pd.DataFrame(added)


def _statuses_from_protection(rows: pd.DataFrame, result, tables: list[DisclosureTable]) -> pd.Series:
    """Map the protected cells' statuses back onto the published rows (by code, territory, network, period)."""
    status = pd.Series(STATUS_PUBLISHED, index=rows.index, dtype=object)
    for table in tables:
        protected = result.table(table.name)
        dims = table.dimension_names
        mine = rows["indicator_code"] == table.name
        if "reseau" not in dims:
            mine &= rows["reseau"] == ALL_NETWORKS
        found = pd.Series(protected["status"].to_numpy(), index=_cell_index(protected, dims))
        keys = _cell_index(rows.loc[mine], dims)
        status.loc[mine] = found.reindex(keys).fillna(STATUS_PUBLISHED).to_numpy()
    return status


def _primary_for_small_people(rows: pd.DataFrame, indicator: Indicator) -> pd.Series:
    """Cells computed on fewer people than the threshold (rates, medians, uncovered counts)."""
    threshold = indicator.disclosure_threshold
    small = pd.Series(False, index=rows.index)
    for column, role in (("numerator_people", "numerator"), ("denominator_people", "denominator")):
        if role in indicator.people_counts:
            people = rows[column]
            small |= people.notna() & (people > 0) & (people < threshold)
    if _is_people_count(indicator):
        people = rows["numerator"]
        small |= people.notna() & (people > 0) & (people < threshold)
    return small


def protect_family(con, family: str, period: Period, catalogue: dict[str, Indicator], geo: Dimension,
                   elsewhere: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[DisclosureTable], object]:
    """The family's published rows with their statuses, the protection tables and their result.

    The tables of the other extracts of the year (``elsewhere``) join the problem with their
    statuses fixed, so that this extract is protected against an attacker holding them all.
    """
    rows = read_indicator_rows(con, family, period)
    rows = rows[rows["indicator_code"].isin(catalogue)]
    leaves = yearly_leaf_people(con, family, period)
    tables = []
    for code in sorted(rows["indicator_code"].unique()):
        if _is_people_count(catalogue[code]):
            tables += protection_tables(rows, catalogue[code], geo, period, leaf_people=leaves.get(code))
    context = context_tables(con, family, catalogue, geo, elsewhere) if elsewhere is not None else []
    result = protect_tables(tables + context) if tables else None
    if result is not None:
        missing = _hidden_cells_missing_from_rows(rows, result, tables)
        if not missing.empty:
            rows = pd.concat([rows, missing], ignore_index=True)
    status = _statuses_from_protection(rows, result, tables) if result else pd.Series(
        STATUS_PUBLISHED, index=rows.index, dtype=object)
    for code in rows["indicator_code"].unique():
        mine = rows["indicator_code"] == code
        small = _primary_for_small_people(rows[mine], catalogue[code])
        status.loc[small[small].index] = STATUS_PRIMARY
    rows = rows.assign(statut=status)
    return rows, tables, result


def published_table_manifest(table: DisclosureTable) -> dict:
    """What a reader needs to re-run the audit on the published CSV alone (pipelines/publication/reaudit.py).

    The table's cells are the CSV rows of its indicator: the measure is ``valeur``, the status
    ``statut``; the engine's territory code is the level's prefix plus ``code_territoire`` (the
    region is ``GE``); totals are counts of distinct people (``aggregation: distinct``).
    """
    manifest = table.manifest(status_column="statut")
    manifest.update({
        "measure": "valeur",
        "aggregation": "distinct",
        "rows": {"indicateur": table.name, **({} if "reseau" in table.dimension_names else {"reseau": ALL_NETWORKS})},
        "territory_code": {
            "columns": ["niveau_territoire", "code_territoire"],
            "prefixes": {LEVELS_FR[level]: prefix for level, prefix in LEVEL_PREFIX.items()},
            "region": REGION_CODE,
        },
    })
    return manifest


def to_dataset_frame(rows: pd.DataFrame, catalogue: dict[str, Indicator], labels: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "indicateur": rows["indicator_code"],
        "periode": rows["periode"],
        "niveau_territoire": rows["geo_level"].map(LEVELS_FR),
        "code_territoire": [REGION_CODE if g == REGION_CODE else g.split(":", 1)[1] for g in rows["geo"]],
        "libelle_territoire": rows["geo"].map(labels).fillna(rows["geo"]),
        "reseau": rows["reseau"],
        "valeur": rows["value"].astype(float),
        "statut": rows["statut"],
        "unite": rows["indicator_code"].map(lambda c: catalogue[c].unit),
    })
    return frame[DATASET_COLUMNS].sort_values(
        ["indicateur", "periode", "niveau_territoire", "code_territoire", "reseau"]).reset_index(drop=True)


def build_datasets(con: duckdb.DuckDBPyConnection, period: Period,
                   elsewhere: pd.DataFrame | None = None) -> tuple[list[Dataset], dict]:
    """Every family's protected dataset for the period, and the protection's audit summary.

    With ``elsewhere`` (:func:`statuses_published_elsewhere`), the cells this extract shares with
    the other published extracts of the year keep the status those gave them (module docstring).
    """
    catalogue = {indicator.code: indicator for indicator in load_catalogue()}
    geo, labels = geography(con)
    elsewhere = statuses_published_elsewhere(None, period) if elsewhere is None else elsewhere
    datasets, audit = [], {}
    for family, label in FAMILY_LABELS_FR.items():
        rows, tables, result = protect_family(con, family, period, catalogue, geo,
                                              elsewhere[elsewhere["family"] == family])
        if rows.empty:
            continue
        thresholds = {code: catalogue[code].disclosure_threshold for code in rows["indicator_code"].unique()}
        datasets.append(Dataset(
            name=family, family=family, label_fr=label,
            frame=to_dataset_frame(rows, catalogue, labels),
            dimensions=[published_table_manifest(table) for table in tables],
            thresholds=thresholds,
        ))
        audit[family] = {
            "tables": len(tables),
            "passed": bool(result.audit.passed) if result else True,
            "hidden_primary": int((rows["statut"] == STATUS_PRIMARY).sum()),
            "hidden_secondary": int((rows["statut"] == "secret_secondaire").sum()),
            "summary": result.audit.summary() if result else "aucune table de comptage à protéger",
        }
    return datasets, audit


def audit_written_extract(con: duckdb.DuckDBPyConnection, version_dir, period: Period,
                          elsewhere: pd.DataFrame | None = None) -> dict[str, str]:
    """Re-audit an extract as written: its published statuses against the additive relations.

    The statuses are read back from the extract's CSV files (what readers actually received); the
    values of the cells come from the warehouse. With ``elsewhere`` (the statuses of
    :func:`statuses_published_elsewhere`), the attacker also holds the other extracts of the year
    this one was protected with: their tables join the audit with
    their statuses, and a shared cell published in one and hidden in the other fails. Returns
    {family/indicator: failure summary} — empty if every hidden cell is protected and every small
    count is hidden.
    """
    catalogue = {indicator.code: indicator for indicator in load_catalogue()}
    geo, _ = geography(con)
    elsewhere = statuses_published_elsewhere(None, period) if elsewhere is None else elsewhere
    failures = {}
    for family in FAMILY_LABELS_FR:
        csv = version_dir / f"{family}.csv"
        if not csv.exists():
            continue
        written = written_statuses(csv)
        rows = read_indicator_rows(con, family, period)
        rows = rows[rows["indicator_code"].isin(catalogue)]
        leaves = yearly_leaf_people(con, family, period)
        context = context_tables(con, family, catalogue, geo, elsewhere[elsewhere["family"] == family])
        for code in sorted(rows["indicator_code"].unique()):
            indicator = catalogue[code]
            if not _is_people_count(indicator):
                continue
            own = protection_tables(rows, indicator, geo, period, statuses=written[written["indicateur"] == code],
                                    missing_status=STATUS_PUBLISHED, leaf_people=leaves.get(code))
            others = [table for table in context if table.measure_key == code]
            failure = _audit_written_tables(own, others) if own else None
            if failure:
                failures[f"{family}/{code}"] = failure
    return failures


def _audit_written_tables(own: list[DisclosureTable], others: list[DisclosureTable]) -> str | None:
    """The failure of one indicator's tables as written, with the other extracts' (None when it passes)."""
    for table in own:
        values = table.frame[table.measure].to_numpy(dtype=float)
        small = (values > 0) & (values < table.threshold) & (table.frame["fixed_status"] == STATUS_PUBLISHED).to_numpy()
        if small.any():
            return f"{int(small.sum())} effectif(s) sous le seuil de {table.threshold:g} publié(s)"
    try:
        problem = build_problem(own + others)
    except DisclosureError as error:
        return f"extraits de l'année incohérents entre eux : {error}"
    status = np.where(pd.isna(problem.fixed_status), STATUS_PUBLISHED, problem.fixed_status).astype(object)
    report = audit_problem(problem, status)
    return None if report.passed else report.summary()
