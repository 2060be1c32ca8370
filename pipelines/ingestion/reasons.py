"""Every reason code of ingestion, with its French label and its French "how to fix" hint.

One place, because the same words appear in the ledger, the quarantine table, the member reports
(HTML and JSON) and later the member portal: a member must read the same sentence everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

FILE = "file"      # the whole file is rejected
ROW = "row"        # the row is quarantined, the rest of the file is loaded
FLAG = "flag"      # the row is loaded after a correction (e.g. redaction), the member is told


@dataclass(frozen=True)
class Reason:
    code: str
    level: str
    label_fr: str
    fix_fr: str


_REASONS = [
    # --- file level: structural failures reject the whole file -----------------------------
    Reason("EMPTY_FILE", FILE, "Fichier vide (aucune ligne de données)",
           "Renvoyez l'export du mois : le fichier reçu ne contient aucune ligne après l'en-tête."),
    Reason("WRONG_ENCODING", FILE, "Encodage des caractères illisible ou différent de celui convenu",
           "Réexportez le fichier dans l'encodage convenu dans le contrat d'échange (UTF-8 ou Windows-1252)."),
    Reason("MISSING_COLUMN", FILE, "Colonne obligatoire absente",
           "Ajoutez la colonne manquante avec exactement le nom convenu (respectez majuscules, accents et espaces)."),
    Reason("UNEXPECTED_COLUMN", FILE, "Colonne inconnue (renommée ?)",
           "Redonnez à la colonne le nom convenu dans le contrat d'échange, ou retirez-la de l'export."),
    Reason("UNKNOWN_MEMBER", FILE, "Expéditeur inconnu du référentiel des membres",
           "Vérifiez le code structure dans le nom du fichier ; s'il est correct, demandez à la Région votre inscription au référentiel."),
    Reason("UNKNOWN_FORMAT", FILE, "Aucun contrat d'échange ne correspond à ce fichier",
           "Nommez le fichier selon la convention (ex. ML001_2025-01.csv) et déposez-le dans le bon dossier."),
    Reason("MONTH_OUT_OF_RANGE", FILE, "Mois déclaré hors de la période couverte par l'entrepôt",
           "Vérifiez le mois indiqué dans le nom du fichier (AAAA-MM)."),
    Reason("UNREADABLE_FILE", FILE, "Fichier illisible (format ou séparateurs non conformes)",
           "Réexportez le fichier au format convenu (type, séparateur, ligne d'en-tête) sans le modifier à la main."),
    # --- row level: the row is quarantined, the rest is loaded --------------------------------
    Reason("UNKNOWN_CODE", ROW, "Code inconnu de la nomenclature convenue",
           "Utilisez un des codes de la nomenclature du contrat d'échange (voir la liste des valeurs acceptées)."),
    Reason("IMPOSSIBLE_DATE", ROW, "Date impossible ou illisible",
           "Saisissez une date réelle au format convenu (ex. 31/01/2025)."),
    Reason("DATE_OUT_OF_RANGE", ROW, "Date hors des bornes plausibles",
           "Vérifiez l'année saisie : la date est trop ancienne ou dans le futur."),
    Reason("DATE_OUTSIDE_MONTH", ROW, "Date en dehors du mois déclaré du fichier",
           "Déclarez cette ligne dans le fichier du mois où l'acte a eu lieu."),
    Reason("AGE_OUT_OF_RANGE", ROW, "Âge invraisemblable",
           "Vérifiez la date ou l'année de naissance saisie."),
    Reason("INVALID_NUMBER", ROW, "Nombre illisible",
           "Saisissez un nombre entier, sans texte ni espace."),
    Reason("NEGATIVE_COUNT", ROW, "Effectif ou nombre négatif",
           "Un effectif ne peut pas être négatif : corrigez la valeur."),
    Reason("VALUE_OUT_OF_RANGE", ROW, "Valeur hors de l'échelle convenue",
           "Saisissez une valeur dans l'échelle convenue (ex. note de 1 à 5)."),
    Reason("INVALID_BOOLEAN", ROW, "Valeur oui/non illisible",
           "Utilisez les valeurs oui/non convenues dans le contrat d'échange."),
    Reason("MISSING_VALUE", ROW, "Valeur obligatoire manquante",
           "Renseignez cette valeur : elle est obligatoire."),
    Reason("COMMUNE_OUTSIDE_GRAND_EST", ROW, "Commune inconnue ou hors Grand Est",
           "Saisissez le code INSEE (5 caractères) d'une commune du Grand Est, pas le code postal."),
    Reason("UNKNOWN_MEMBER_CODE", ROW, "Structure inconnue du référentiel des membres",
           "Utilisez le code d'une structure membre du SPRO (référentiel des membres)."),
    Reason("DUPLICATE_ROW", ROW, "Ligne en double",
           "Supprimez le doublon : la première occurrence a été conservée."),
    Reason("MALFORMED_ROW", ROW, "Ligne mal formée (nombre de colonnes ou JSON invalide)",
           "Vérifiez les séparateurs et guillemets de cette ligne."),
    # --- flags: the row is loaded after a correction, the member is told ----------------------
    Reason("COMMENT_PHONE_REDACTED", FLAG, "Numéro de téléphone retiré du commentaire",
           "N'écrivez pas de coordonnées personnelles dans les commentaires libres."),
    Reason("COMMENT_EMAIL_REDACTED", FLAG, "Adresse électronique retirée du commentaire",
           "N'écrivez pas de coordonnées personnelles dans les commentaires libres."),
    Reason("COMMENT_NAME_REDACTED", FLAG, "Nom de personne retiré du commentaire",
           "N'écrivez pas le nom des personnes dans les commentaires libres."),
]

REASONS: dict[str, Reason] = {reason.code: reason for reason in _REASONS}

# Order in which row reasons are reported when a row has several: the most fundamental first.
ROW_PRIORITY = ["MALFORMED_ROW", "DUPLICATE_ROW"] + [
    r.code for r in _REASONS if r.level == ROW and r.code not in ("MALFORMED_ROW", "DUPLICATE_ROW")]


def reason(code: str) -> Reason:
    """The reason of a code; an unknown code is a programming error, so it raises."""
    return REASONS[code]


def primary(codes: list[str]) -> str:
    """The reason shown first when a row has several problems."""
    return min(codes, key=ROW_PRIORITY.index)
