"""Reference data (the dbt seeds) and the data contracts, as the generator needs them."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def repo_root() -> Path:
    """SPRO_HOME if set, else the repository that holds this package."""
    env = os.environ.get("SPRO_HOME")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2]


def seeds_dir() -> Path:
    return repo_root() / "dbt_project" / "seeds"


def contracts_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "contracts"


def read_seed(name: str) -> pd.DataFrame:
    """A seed as strings: codes like '08' or '01' must keep their leading zeros."""
    return pd.read_csv(seeds_dir() / f"{name}.csv", dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=None)
def load_contract(name: str) -> dict:
    """One data contract (sources/contracts/<name>.yaml)."""
    with open(contracts_dir() / f"{name}.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass
class Reference:
    """The seeds the generator draws from, with numpy-friendly indexes."""

    bassins: pd.DataFrame
    communes: pd.DataFrame
    members: pd.DataFrame
    networks: pd.DataFrame
    psad: pd.DataFrame
    cot_sectors: list[str]
    age_bands: pd.DataFrame

    @property
    def commune_bassin_idx(self) -> np.ndarray:
        """For each commune row, the row of its bassin in `bassins`."""
        position = {code: i for i, code in enumerate(self.bassins["bassin_code"])}
        return self.communes["bassin_code"].map(position).to_numpy(dtype=np.int32)


@functools.lru_cache(maxsize=4)
def load_reference(root: str | None = None) -> Reference:
    """Read every seed once per process."""
    communes = read_seed("ref_communes")
    communes["population"] = communes["population"].astype(int)
    bassins = read_seed("ref_bassins")
    bassins["population_15_29"] = bassins["population_15_29"].astype(int)
    networks = read_seed("ref_networks")
    networks["min_age"] = networks["min_age"].astype(int)
    networks["max_age"] = networks["max_age"].astype(int)
    age_bands = read_seed("ref_age_bands")
    age_bands["age_min"] = age_bands["age_min"].astype(int)
    age_bands["age_max"] = age_bands["age_max"].astype(int)
    return Reference(
        bassins=bassins.reset_index(drop=True),
        communes=communes.reset_index(drop=True),
        members=read_seed("ref_members").reset_index(drop=True),
        networks=networks.reset_index(drop=True),
        psad=read_seed("ref_psad_platforms").reset_index(drop=True),
        cot_sectors=list(read_seed("ref_cot_sectors")["cot_sector_code"]),
        age_bands=age_bands,
    )
