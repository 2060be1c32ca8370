"""The short French summary `make demo` prints once the indicator tables are built."""

from __future__ import annotations

import duckdb

SQL_REGION = """
select indicator_code, period_start, value, numerator, denominator
from indicators.{table}
where geo_level = 'region' and breakdown = 'total' and period_grain = ? and indicator_code = ?
order by period_start desc
limit 1
"""


def _latest(con, table: str, code: str, grain: str = "year"):
    return con.execute(SQL_REGION.format(table=table), [grain, code]).fetchone()


def _fmt_int(value) -> str:
    return "—" if value is None else f"{int(round(value)):,}".replace(",", "\u202f")


def _fmt_pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}\u202f%".replace(".", ",")


def french_summary(con: duckdb.DuckDBPyConnection) -> str:
    """People served, PSAD contact rate, events, and people served by agency (latest year)."""
    people = _latest(con, "ind_suivi_totals", "ACT_PEOPLE")
    declared = _latest(con, "ind_suivi_totals", "ACT_PEOPLE_DECLARED")
    acts = _latest(con, "ind_suivi_totals", "ACT_ACTS")
    contact = _latest(con, "ind_performance_totals", "PSAD_CONTACT_RATE", "campaign")
    events = _latest(con, "ind_suivi_totals", "EVT_EVENTS")
    participants = _latest(con, "ind_suivi_totals", "EVT_PARTICIPANTS")
    year = people[1].year if people else None
    lines = [f"Indicateurs communs du SPRO Grand Est — année {year or '—'} :"]
    lines.append(f"  Personnes accompagnées (membres à l'acte, dédoublonnées) : {_fmt_int(people and people[2])}")
    lines.append(f"  Personnes déclarées par les membres en agrégats (non dédoublonnées) : "
                 f"{_fmt_int(declared and declared[2])}")
    lines.append(f"  Actes de service, tous membres : {_fmt_int(acts and acts[2])}")
    if contact:
        lines.append(f"  PSAD : taux de contact des jeunes repérés (campagne {contact[1].year}-{contact[1].year + 1}) : "
                     f"{_fmt_pct(contact[2])} ({_fmt_int(contact[3])} sur {_fmt_int(contact[4])})")
    lines.append(f"  Événements de l'agenda : {_fmt_int(events and events[2])}, "
                 f"participants : {_fmt_int(participants and participants[2])}")
    if year:
        rows = con.execute(
            """
            select a.agency_name, i.value
            from indicators.ind_suivi_totals as i
            join marts.dim_agency as a on a.agency_code = i.geo_code
            where i.indicator_code = 'ACT_PEOPLE' and i.geo_level = 'agency' and i.period_grain = 'year'
              and i.breakdown = 'total' and extract(year from i.period_start) = ?
            order by i.value desc
            """, [year]).fetchall()
        lines.append("  Personnes accompagnées par agence territoriale :")
        lines += [f"    {name:<34} {_fmt_int(value):>10}" for name, value in rows]
    return "\n".join(lines)


def print_summary(duckdb_path) -> None:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        print(french_summary(con))
