"""Full vs incremental linkage on the generator's feeds: quality, seconds and peak memory.

    python -m pipelines.linkage.bench_incremental --truth T --inbox I --workdir W [--last-months 1]

1. prepare: identities of the feeds -> W/tokens.parquet (ops.identity_tokens rows, one per identity,
   period_month = first month) and W/truth.parquet (identity_key, person_id; no name). The key is
   a throw-away one.
2. full: W/full.duckdb holds every month; `link_identities(mode='full')`.
3. base + incremental: W/inc.duckdb holds the months before the last ones, linked in full; then the
   last months' rows are added and `link_identities(mode='incremental')` runs. With --new-share F,
   only a random share F of the last months' identities is held back as new (the rest joins the
   base): a stand-in for one month on a long history when a full run on many months does not fit.
Every linking step runs in its own process (pipelines.bench.run_step, the harness of `make bench`,
which runs this as one of its steps), which opens the DuckDB file and links, so its peak RSS is the
linking step's, not the preparation's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def _prepare(truth: Path, inbox: Path, workdir: Path, last_months: int, new_share: float | None) -> dict:
    import secrets

    import numpy as np

    from pipelines.linkage.evaluate import generated_tokens

    identities, tokens = generated_tokens(truth, inbox, secrets.token_bytes(32))
    months = sorted(tokens["period_month"].unique().tolist())
    last = tokens["period_month"] >= months[-last_months]
    if new_share:
        # Only a random share of the last months' identities is new: the others join the history
        # (a stand-in for a long history when a full run on many months does not fit in memory).
        last &= np.random.default_rng(3).random(len(tokens)) < new_share
    tokens["bench_new"] = last
    workdir.mkdir(parents=True, exist_ok=True)
    tokens.to_parquet(workdir / "tokens.parquet", index=False)
    identities[["identity_key", "person_id"]].to_parquet(workdir / "truth.parquet", index=False)
    return {"identities": len(identities), "months": sorted(tokens["period_month"].unique().tolist())}


def _load(db: Path, parquet: Path, where: str) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists ops")
        exists = con.execute("select count(*) from information_schema.tables where table_schema='ops' "
                             "and table_name='identity_tokens'").fetchall()[0][0]
        select = f"select * from read_parquet('{parquet}') where {where}"
        con.execute(f"insert into ops.identity_tokens {select}" if exists
                    else f"create table ops.identity_tokens as {select}")


def link_step(db: Path, mode: str) -> dict:
    """Link the identities of the DuckDB file `db` (mode full or incremental); run in a child process."""
    import duckdb

    from pipelines.linkage.link_warehouse import link_identities

    with duckdb.connect(str(db)) as con:
        started = time.perf_counter()
        summary = link_identities(con, mode=mode)
        seconds = time.perf_counter() - started
    out = {k: v for k, v in summary.as_dict().items() if isinstance(v, (int, float, str)) or k == "timings"}
    out["seconds"] = seconds
    return out


def _in_child(workdir: Path, name: str, db: Path, mode: str) -> dict:
    from pipelines.bench import run_step

    result, _, peak = run_step("link", workdir, str(db), mode, name=name)
    return {**result, "peak_mb": peak}


def _evaluate(workdir: Path) -> dict:
    import duckdb
    import pandas as pd

    from pipelines.linkage.evaluate import pairwise_metrics

    truth = pd.read_parquet(workdir / "truth.parquet").set_index("identity_key")["person_id"]
    out = {}
    for name in ("full", "inc"):
        with duckdb.connect(str(workdir / f"{name}.duckdb"), read_only=True) as con:
            links = con.execute("select identity_key, person_key from ops.person_links").df()
            out[f"{name}_key_changes"] = con.execute("select count(*) from ops.person_key_changes").fetchall()[0][0]
        out[name] = links.set_index("identity_key")["person_key"].reindex(truth.index)
    metrics = {name: pairwise_metrics(truth, out[name]) for name in ("full", "inc")}
    metrics["agreement"] = pairwise_metrics(out["full"].rename("t"), out["inc"])
    metrics["inc_key_changes"] = out["inc_key_changes"]
    return metrics


def run(truth: Path, inbox: Path, workdir: Path, last_months: int = 1, new_share: float | None = None) -> dict:
    prepared = _prepare(truth, inbox, workdir, last_months, new_share)
    cut = prepared["months"][-last_months] + (f" (share {new_share})" if new_share else "")
    parquet = workdir / "tokens.parquet"
    for name in ("full", "inc"):
        for suffix in ("", ".wal"):
            (workdir / f"{name}.duckdb{suffix}").unlink(missing_ok=True)
    _load(workdir / "full.duckdb", parquet, "true")
    full = _in_child(workdir, "link_full", workdir / "full.duckdb", "full")
    _load(workdir / "inc.duckdb", parquet, "not bench_new")
    base = _in_child(workdir, "link_base", workdir / "inc.duckdb", "full")
    _load(workdir / "inc.duckdb", parquet, "bench_new")
    incremental = _in_child(workdir, "link_incremental", workdir / "inc.duckdb", "incremental")
    report = {"identities": prepared["identities"], "months": len(prepared["months"]), "cut": cut,
              "full": full, "base_full": base, "incremental": incremental, "quality": _evaluate(workdir)}
    (workdir / "report.json").write_text(json.dumps(report, indent=1, default=float))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--last-months", type=int, default=1)
    parser.add_argument("--new-share", type=float, default=None,
                        help="only this random share of the last months' identities is new")
    args = parser.parse_args()
    report = run(args.truth, args.inbox, args.workdir, args.last_months, args.new_share)
    q = report["quality"]
    print(f"identities {report['identities']:,}, months {report['months']}, incremental from {report['cut']} "
          f"({report['incremental']['identities_new']:,} new)")
    for name, step, quality in (("full", report["full"], q["full"]), ("incremental", report["incremental"], q["inc"])):
        print(f"{name:12s} precision {quality['precision']:.4f} recall {quality['recall']:.4f} "
              f"{step['seconds']:.1f} s peak {step['peak_mb']:.0f} MB records scored {step['records_scored']:,}")
    print(f"base full (months before): {report['base_full']['seconds']:.1f} s peak {report['base_full']['peak_mb']:.0f} MB")
    print(f"agreement full/incremental: precision {q['agreement']['precision']:.4f} recall {q['agreement']['recall']:.4f}"
          f", person key changes {q['inc_key_changes']}")


if __name__ == "__main__":
    main()
