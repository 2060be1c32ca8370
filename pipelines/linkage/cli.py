"""`spro link LEFT.csv RIGHT.csv`: link two identity files, write the matched pairs with their scores.
`spro link [--full|--incremental]` (no file): the warehouse step (link_warehouse.link_identities).

Both sides are pseudonymised in memory with the deployment's key (pipelines.privacy.keys.get_key)
before anything reaches DuckDB; the output holds row ids of both sides and scores, never a name.
Usable on any data, including public linkage benchmark files.

--map-left / --map-right map comparison fields onto the file's columns, e.g.
  'first_names=prenom,surname=nom,birth_date=date_naissance,sex=sexe,commune=cp'
Fields: first_names, surname (usage or only name; may hold 'X ÉPOUSE Y'), birth_name, birth_date,
sex, commune (or any other place code: it is only compared for equality), ine (a shared strong
identifier: deterministic link), id (the row id written to the output; default: the 1-based row
number). Unmapped fields count as unknown.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

FIELDS = {"first_names": "first_names", "surname": "last_name", "last_name": "last_name", "birth_name": "birth_name",
          "birth_date": "birth_date", "sex": "sex_code", "commune": "residence_commune_insee", "place": "residence_commune_insee",
          "ine": "ine", "id": "id"}


def parse_mapping(text: str) -> dict[str, str]:
    """'first_names=prenom,surname=nom' -> {'first_names': 'prenom', 'last_name': 'nom'} (common-model names)."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        if "=" not in part:
            raise click.BadParameter(f"« {part} » : attendu champ=colonne (ex. surname=nom)")
        field, column = (x.strip() for x in part.split("=", 1))
        if field not in FIELDS:
            raise click.BadParameter(f"champ inconnu « {field} » ; champs possibles : {', '.join(sorted(FIELDS))}")
        mapping[FIELDS[field]] = column
    if not any(k in mapping for k in ("last_name", "first_names", "birth_date")):
        raise click.BadParameter("il faut au moins un des champs surname, first_names, birth_date")
    return mapping


def read_side(path: Path, mapping: dict[str, str], sep: str | None, encoding: str) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=sep, engine="python" if sep is None else "c", dtype=str, encoding=encoding,
                        keep_default_na=False, na_values=[""])
    missing = [c for c in mapping.values() if c not in frame.columns]
    if missing:
        raise click.ClickException(f"{path.name} : colonne(s) absente(s) {', '.join(missing)}")
    out = pd.DataFrame({target: frame[column] for target, column in mapping.items() if target != "id"})
    out["row_id"] = frame[mapping["id"]].to_numpy() if "id" in mapping else [str(i) for i in range(1, len(frame) + 1)]
    return out


def tokens_for_side(side: pd.DataFrame, key: bytes, group: str) -> pd.DataFrame:
    from pipelines.linkage import model
    from pipelines.privacy.pseudonymize import comparison_tokens_frame, pseudonymize_series

    tokens = comparison_tokens_frame(side.drop(columns=["row_id"]), key)
    out = pd.DataFrame({"source_group": group, "row_id": side["row_id"].to_numpy()})
    out["ine_pseudo"] = (pseudonymize_series(side["ine"].reset_index(drop=True), key, "ine").to_numpy()
                         if "ine" in side.columns else None)
    for column in model.TOKEN_COLUMNS:
        out[column] = tokens[column].to_numpy()
    return out


def link_files(left: Path, right: Path, map_left: dict, map_right: dict, key: bytes, threshold: float,
               sep: str | None = None, encoding: str = "utf-8", train: bool = True) -> pd.DataFrame:
    """The pairs (left_id, right_id, match_probability, match_weight, link_method, gamma_*) above threshold."""
    from pipelines.linkage.engine import link_records

    sides = [tokens_for_side(read_side(left, map_left, sep, encoding), key, "left"),
             tokens_for_side(read_side(right, map_right, sep, encoding), key, "right")]
    records = pd.concat(sides, ignore_index=True)
    records["unique_id"] = range(len(records))
    result = link_records(records, threshold=threshold, within_group=False, train=train)
    pairs = result.pairs[result.pairs["accepted"]].copy()
    side_of = records.set_index("unique_id")["source_group"]
    row_of = records.set_index("unique_id")["row_id"]
    # Orient every pair left -> right (INE edges too; same-side INE duplicates are dropped).
    l_side = side_of.reindex(pairs["unique_id_l"]).to_numpy()
    r_side = side_of.reindex(pairs["unique_id_r"]).to_numpy()
    pairs = pairs[l_side != r_side].copy()
    flip = side_of.reindex(pairs["unique_id_l"]).to_numpy() == "right"
    left_uid = pairs["unique_id_l"].where(~flip, pairs["unique_id_r"])
    right_uid = pairs["unique_id_r"].where(~flip, pairs["unique_id_l"])
    gammas = [c for c in pairs.columns if c.startswith("gamma_")]
    out = pd.DataFrame({"left_id": row_of.reindex(left_uid).to_numpy(), "right_id": row_of.reindex(right_uid).to_numpy(),
                        "match_probability": pairs["match_probability"].to_numpy(),
                        "match_weight": pairs["match_weight"].to_numpy(), "link_method": pairs["link_method"].to_numpy()})
    for column in gammas:
        out[column] = pairs[column].to_numpy()
    out = out.sort_values(["match_probability", "left_id", "right_id"], ascending=[False, True, True])
    return out.drop_duplicates(["left_id", "right_id"]).reset_index(drop=True)


@click.command("link")
@click.argument("left", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("right", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map-left", help="champ=colonne,... pour LEFT (first_names, surname, birth_name, "
              "birth_date, sex, commune, ine, id)")
@click.option("--map-right", help="champ=colonne,... pour RIGHT")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier CSV des paires appariées (identifiants de lignes et scores, sans nom).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Seuil de probabilité d'appariement (défaut : celui du modèle).")
@click.option("--sep", default=None, help="Séparateur des deux fichiers (défaut : détecté).")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--no-training", is_flag=True, help="Garder les paramètres de départ du modèle (petits fichiers).")
@click.option("--full", "full", is_flag=True,
              help="Sans fichiers : réapparier tout l'entrepôt (réentraîner le modèle) au lieu du mode automatique.")
@click.option("--incremental", "incremental", is_flag=True,
              help="Sans fichiers : n'apparier que les nouvelles identités (erreur sans modèle enregistré).")
def link_command(left, right, map_left, map_right, out_path, threshold, sep, encoding, no_training, full, incremental):
    """Apparie deux fichiers d'identités (CSV) sur des jetons pseudonymisés avec la même clé.

    Sans LEFT ni RIGHT : apparie les identités de l'entrepôt (ops.identity_tokens -> ops.person_links),
    en mode incrémental quand c'est possible, complet avec --full."""
    from pipelines.linkage import model

    threshold = model.DEFAULT_THRESHOLD if threshold is None else threshold
    if left is None and right is None:
        _link_warehouse_command(threshold, full, incremental)
        return
    if left is None or right is None:
        raise click.UsageError("donner LEFT et RIGHT, ou aucun des deux pour apparier l'entrepôt")
    if full or incremental:
        raise click.UsageError("--full et --incremental ne s'appliquent qu'à l'entrepôt (sans fichiers)")
    missing = [name for name, value in (("--map-left", map_left), ("--map-right", map_right), ("--out", out_path))
               if not value]
    if missing:
        raise click.UsageError(f"option(s) requise(s) avec deux fichiers : {', '.join(missing)}")
    from pipelines.privacy.keys import get_key

    pairs = link_files(left, right, parse_mapping(map_left), parse_mapping(map_right), get_key(), threshold,
                       sep=sep, encoding=encoding, train=not no_training)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(out_path, index=False)
    click.echo(f"{len(pairs)} paires au seuil {threshold} -> {out_path}")


def _link_warehouse_command(threshold: float, full: bool, incremental: bool) -> None:
    import duckdb

    from pipelines.config import load_settings
    from pipelines.linkage.link_warehouse import link_identities

    if full and incremental:
        raise click.UsageError("--full ou --incremental, pas les deux")
    mode = "full" if full else "incremental" if incremental else "auto"
    settings = load_settings()
    with duckdb.connect(str(settings.duckdb_path)) as con:
        try:
            summary = link_identities(con, threshold=threshold, mode=mode)
        except RuntimeError as error:
            raise click.ClickException(str(error)) from error
    label = "complet" if summary.mode == "full" else "incrémental"
    click.echo(f"Appariement {label} ({summary.mode_reason}) : {summary.identities} identités dont "
               f"{summary.identities_new} nouvelles, {summary.persons} personnes, "
               f"{summary.person_key_changes} clés personne modifiées, {summary.seconds:.1f} s")
