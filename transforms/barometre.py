"""The Baromètre des résultats de l'action publique (Etalab / DINUM): the France services series.

The baromètre publishes, per indicator, a monthly series at national, regional and departmental
level, and a « synthèse » with each indicator's target (data.gouv.fr dataset
`barometre-des-resultats-de-laction-publique`). France services is the indicator
`nb-labellisations-france-services`: cumulative labellisations at month ends, January 2020 →
December 2022, target 2,543 at 2022-12-31.

Four kinds of file are read, recognised by their header:

- national detail (`maille_geographique`, `date`, `valeur`): every indicator, filtered here;
- regional detail (`code_region`, `libelle_region`, `date`, `valeur`);
- departmental detail (`code_departement`, `libelle_departement`, `date`, `valeur`), one file or
  several (upstream publishes one per département);
- synthèse (`cible`, `date_cible`, `valeur_actuelle`): one row per indicator, the target.

Their quirks: the `mesure` label ends with a space, values are written as floats ("23.0"),
codes may be unpadded ("1" for Ain), the synthèse repeats a row. Everything here is pure: paths
in, one canonical frame out (`CANONICAL_COLUMNS`), one row per observed value or target, with
the check columns `expectations/barometre.json` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits
from transforms.readers import normalise_header, read_csv_table

INDICATOR = "nb-labellisations-france-services"
LEVELS = ("france", "region", "departement")
FRANCE_CODE = "FR"

CANONICAL_COLUMNS = (
    "kind", "indicator_id", "level", "code", "label", "date", "value", "unit", "measure",
    "indicator_label", "source_file", "source_row",
    # checks read by the suite
    "value_is_whole", "value_not_below_previous", "code_recognised", "date_is_month_end",
)  # fmt: skip

_COMMON = ("mesure", "indicateur", "id_indicateur", "unite")


@dataclass(frozen=True)
class FileKind:
    name: str
    level: str
    required: tuple[str, ...]
    code_column: str | None = None
    label_column: str | None = None


FILE_KINDS = (
    FileKind("synthese", "france", (*_COMMON, "maille_geographique", "cible", "date_cible")),
    FileKind("national", "france", (*_COMMON, "maille_geographique", "date", "valeur")),
    FileKind(
        "regional",
        "region",
        (*_COMMON, "code_region", "libelle_region", "date", "valeur"),
        "code_region",
        "libelle_region",
    ),
    FileKind(
        "departemental",
        "departement",
        (*_COMMON, "code_departement", "libelle_departement", "date", "valeur"),
        "code_departement",
        "libelle_departement",
    ),
)
# The column that tells each kind apart from the others.
_SIGNATURE = {
    "synthese": "cible",
    "regional": "code_region",
    "departemental": "code_departement",
    "national": "maille_geographique",
}

_DEPARTEMENT = r"^(0[1-9]|1[0-9]|2[1-9]|2A|2B|[3-8][0-9]|9[0-5]|97[1-8])$"
_REGION = r"^(0[1-6]|[1-9][0-9])$"


def file_kind(file: str, header: Sequence[str]) -> FileKind:
    """The kind of baromètre file a header belongs to; refuses any other file, naming it."""
    names = {normalise_header(h) for h in header}
    for kind in FILE_KINDS:
        if _SIGNATURE[kind.name] in names:
            missing = [c for c in kind.required if c not in names]
            if missing:
                raise SourceFormatError(
                    file,
                    "required_column_present",
                    f"a baromètre {kind.name} file without this column "
                    f"(columns found: {', '.join(sorted(names))})",
                    column=missing[0],
                )
            return kind
    raise SourceFormatError(
        file,
        "file_kind_recognised",
        "not a file of the baromètre des résultats de l'action publique: expected the national "
        "or synthèse file (maille_geographique), or a regional (code_region) or departmental "
        f"(code_departement) detail file; columns found: {', '.join(sorted(names)) or 'none'}",
    )


def read_barometre(
    paths: str | Path | Iterable[str | Path],
    indicator: str = INDICATOR,
    limits: InputLimits = DEFAULT_LIMITS,
) -> pl.DataFrame:
    """One file or a set of baromètre files as one canonical frame of `indicator`'s rows.

    Refuses (SourceFormatError) a file that is not a baromètre file, one missing a required
    column, and a set with no row of the indicator at all (`indicator_present`). Unparseable
    dates and values stay as null (the suite rejects those rows).
    """
    files = [paths] if isinstance(paths, str | Path) else list(paths)
    if not files:
        raise ValueError("no baromètre file given")
    frames = [_read_file(Path(path), indicator, limits) for path in files]
    frame = pl.concat(frames, how="vertical")
    if frame.height == 0:
        names = ", ".join(Path(p).name for p in files)
        raise SourceFormatError(
            names,
            "indicator_present",
            f"no row of the indicator {indicator!r} (column id_indicateur)",
            column="id_indicateur",
        )
    return _with_checks(frame)


def _read_file(path: Path, indicator: str, limits: InputLimits) -> pl.DataFrame:
    header, table = read_csv_table(path, limits)
    kind = file_kind(path.name, header)
    names = [normalise_header(h) for h in header]
    # The first occurrence of a normalised name wins (published headers do not repeat them).
    position = {}
    for i, name in enumerate(names):
        position.setdefault(name, i)

    def column(name: str) -> pl.Expr:
        return pl.col(f"c{position[name]}").str.strip_chars()

    frame = table.with_row_index("source_row", offset=2).filter(
        column("id_indicateur") == indicator
    )
    if kind.code_column is None:
        # The national files say their mesh per row: only the national rows are France's.
        frame = frame.filter(column("maille_geographique").str.to_lowercase() == "national")
    if kind.name == "synthese":
        # The published synthèse repeats rows: one target per indicator and date.
        frame = frame.unique(
            subset=[c for c in frame.columns if c != "source_row"], keep="first"
        ).sort("source_row")
        date_text, value_text = column("date_cible"), column("cible")
    else:
        date_text, value_text = column("date"), column("valeur")
    if kind.code_column is None:
        code, label = pl.lit(FRANCE_CODE), pl.lit("France")
    else:
        code = _code(column(kind.code_column))
        label = column(kind.label_column or kind.code_column)
    return frame.select(
        pl.lit("target" if kind.name == "synthese" else "observed").alias("kind"),
        column("id_indicateur").alias("indicator_id"),
        pl.lit(kind.level).alias("level"),
        code.alias("code"),
        label.alias("label"),
        date_text.str.to_date("%Y-%m-%d", strict=False).alias("date"),
        # "23.0", "23", "23,0" and "2 538" are the same count; anything else stays null.
        value_text.str.replace_all(r"[\s\u00a0\u202f]", "")
        .str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
        .alias("value"),
        column("unite").alias("unit"),
        column("mesure").alias("measure"),  # the trailing space is gone
        column("indicateur").alias("indicator_label"),
        pl.lit(path.name).alias("source_file"),
        pl.col("source_row").cast(pl.Int64),
    )


def _code(expr: pl.Expr) -> pl.Expr:
    """Pad numeric codes to two digits ("1" → "01"), upper-case Corsica ("2a" → "2A")."""
    text = expr.str.to_uppercase().str.replace(r"\.0$", "")
    padded = pl.when(text.str.contains(r"^\d$")).then("0" + text).otherwise(text)
    return pl.when(text == "").then(None).otherwise(padded)


def _with_checks(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the check columns the suite reads (true when the row passes, null when unknown)."""
    frame = frame.with_columns(
        (pl.col("value") == pl.col("value").round(0)).alias("value_is_whole"),
        pl.when(pl.col("level") == "france")
        .then(pl.col("code") == FRANCE_CODE)
        .when(pl.col("level") == "region")
        .then(pl.col("code").str.contains(_REGION))
        .otherwise(pl.col("code").str.contains(_DEPARTEMENT))
        .alias("code_recognised"),
        (pl.col("date") == pl.col("date").dt.month_end()).alias("date_is_month_end"),
    )
    # A cumulative series never falls: each observed value against the previous parsed one
    # of its territory (targets and unparseable rows are not compared).
    ordered = (
        frame.with_row_index("position")
        .filter(
            (pl.col("kind") == "observed")
            & pl.col("date").is_not_null()
            & pl.col("value").is_not_null()
        )
        .sort("date")
        .with_columns(
            pl.col("value").shift(1).over("indicator_id", "level", "code").alias("previous")
        )
        .select(
            "position",
            (pl.col("previous").is_null() | (pl.col("value") >= pl.col("previous"))).alias(
                "value_not_below_previous"
            ),
        )
    )
    frame = (
        frame.with_row_index("position")
        .join(ordered, on="position", how="left")
        .sort("position")
        .drop("position")
    )
    return frame.select(CANONICAL_COLUMNS)
