"""Loading an operator's footfall feed into the warehouse.

Publishing one file, in a single transaction: its accepted rows go to `raw.footfall`, its
quarantined rows to `meta.quarantine`, and in `core.footfall` every (espace, month) the file
carries replaces all the rows of that espace and month (a correction re-sends the month); the
other espaces and months are untouched. Outliers are then recomputed for the series the feed
carries; the model graph refreshes the footfall marts from the first month it carries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from transforms.frames import frame_of, registered
from transforms.partners import default_reference_dir
from warehouse.db import fetch_first, insert_frame, record_quarantine, run_model

SOURCE = "footfall"
KEY = ("espace_id", "month", "partner_code")
FIGURES = ("requests", "resolved", "redirected")
# The columns of a feed's accepted rows that publish_feed reads.
ACCEPTED_COLUMNS = (
    "source_row", "espace_id", "month", "partner_code", "partner_raw", "requests", "resolved",
    "redirected", "quality_flags", "extra",
)  # fmt: skip
RAW_COLUMNS = (
    "load_id", "source_row", "espace_id", "month", "partner_code", "partner_raw", "requests",
    "resolved", "redirected", "quality_flags", "is_synthetic", "extra",
)  # fmt: skip


@dataclass(frozen=True)
class FootfallChanges:
    espace_months: int
    espace_months_replaced: int
    rows_removed: int
    outliers: list[dict[str, Any]]


def is_synthetic_file(name: str) -> bool:
    """A feed is the synthetic demo when its name says so (`…SYNTHETIC…`)."""
    return "SYNTHETIC" in name.upper()


def espaces_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    row = fetch_first(con.execute("select count(*) from core.espaces"))
    return bool(row and row[0])


def feed_in_force(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    """True when a published feed with this checksum still supplies every figure it loaded:
    loading it again would change nothing (a later feed that re-sent one of its months makes
    it a correction to apply again)."""
    row = fetch_first(
        con.execute(
            """
            select loads.rows_loaded = (
                select count(*) from core.footfall where footfall.load_id = loads.load_id
            )
            from meta.loads as loads
            where loads.source = $source and loads.status = 'published' and loads.sha256 = $sha256
            order by loads.load_id desc limit 1
            """,
            {"source": SOURCE, "sha256": sha256},
        )
    )
    return bool(row and row[0])


def first_month(accepted: pl.DataFrame) -> date | None:
    """The first month a feed's accepted rows replace: the marts change from it on."""
    return accepted["month"].min() if accepted.height else None  # type: ignore[return-value]


def _espace_months(accepted: pl.DataFrame) -> pl.DataFrame:
    return accepted.select("espace_id", "month").unique()


def _in_force_for(con: duckdb.DuckDBPyConnection, accepted: pl.DataFrame) -> pl.DataFrame:
    with registered(con, "incoming_months", _espace_months(accepted)):
        return frame_of(
            con,
            """
            select figures.espace_id, figures.month, figures.partner_code,
                figures.requests, figures.resolved, figures.redirected
            from core.footfall as figures
            inner join incoming_months using (espace_id, month)
            """,
        )


def is_unchanged(con: duckdb.DuckDBPyConnection, accepted: pl.DataFrame) -> bool:
    """True when the accepted rows are exactly the figures already in force for their
    espaces and months: loading them again would change nothing."""
    if accepted.height == 0:
        return True
    columns = [*KEY, *FIGURES]
    current = _in_force_for(con, accepted).select(columns)
    if current.height != accepted.height:  # before any copy of a feed that is new
        return False
    incoming = accepted.select(columns).cast(current.schema)
    order = [*KEY]
    return current.sort(order, nulls_last=True).equals(incoming.sort(order, nulls_last=True))


def publish_feed(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    accepted: pl.DataFrame,
    quarantined: list[dict[str, Any]],
    is_synthetic: bool,
) -> FootfallChanges:
    """Write one validated feed and bring core.footfall and the marts up to date (caller
    commits). `accepted` has the canonical columns of transforms.footfall plus
    `quality_flags`; `quarantined` items have `source_row`, `rule`, `record`."""
    incoming = accepted.with_columns(
        pl.lit(load_id, dtype=pl.Int64).alias("load_id"),
        pl.lit(is_synthetic).alias("is_synthetic"),
    ).select(RAW_COLUMNS)
    record_quarantine(con, load_id, SOURCE, quarantined)
    before = _in_force_for(con, accepted) if accepted.height else pl.DataFrame()
    replaced = before.select("espace_id", "month").unique().height if before.height else 0
    with registered(con, "incoming_footfall", incoming):
        con.execute("insert into raw.footfall by name select * from incoming_footfall")
        con.execute(
            """
            delete from core.footfall as figures
            where exists (
                select 1 from incoming_footfall as incoming
                where incoming.espace_id = figures.espace_id and incoming.month = figures.month
            )
            """
        )
        con.execute(
            """
            insert into core.footfall by name
            select espace_id, month, partner_code, requests, resolved, redirected, load_id,
                source_row, false as is_outlier, null as median_requests, quality_flags,
                is_synthetic, extra
            from incoming_footfall
            """
        )
    # The series the feed carries, and those of the rows it replaced (a re-sent month without
    # a partner removes that partner's month from its series).
    series = [f.select("espace_id", "partner_code") for f in (accepted, before) if f.height]
    touched = pl.concat(series, how="vertical_relaxed").unique() if series else accepted
    outliers = flag_outliers(con, touched)
    mine = outliers.join(accepted.select(*KEY), on=list(KEY), how="inner", nulls_equal=True).sort(
        list(KEY), nulls_last=False
    )
    return FootfallChanges(
        espace_months=_espace_months(accepted).height,
        espace_months_replaced=replaced,
        rows_removed=before.height,
        outliers=mine.to_dicts(),
    )


def series_outliers(
    con: duckdb.DuckDBPyConnection,
    figures: str,
    factor: float = 10.0,
    min_other_months: int = 3,
) -> pl.DataFrame:
    """Rows whose `requests` is at least `factor` × the median of the same series' other months.

    A series is one espace and one partner_code (null partner = all partners, its own series).
    The median is taken over the series' other months only; it needs at least
    `min_other_months` of them and must be above zero, otherwise the row is not judged.
    `figures` is a query named in code giving `espace_id`, `month`, `partner_code`, `requests`,
    one row per series and month (as in core.footfall); the result has those columns plus
    `median_requests` (Float64), sorted by espace_id, month, partner_code (nulls first).

    The median of the other n - 1 values of a row, without pairing each row with its series
    (n² rows): with the series sorted as s, removing a value v shifts the values after it down
    by one, so the reduced list's middle positions p1 = (n - 2) // 2 and p2 = (n - 1) // 2 hold
    s[p] when v is above s[p] and s[p + 1] otherwise. Removing any copy of a repeated value
    leaves the same list, so comparing v with s[p1] and s[p2] is enough: no per-row rank.
    """
    query = f"""
        with base as (
            select espace_id, month, partner_code, requests from ({figures})
            where requests is not null and month is not null
        ),
        middles as (
            select espace_id, partner_code, n, p1, p2,
                sorted[p1 + 1] as s0, sorted[p1 + 2] as s1, sorted[p1 + 3] as s2
            from (
                select espace_id, partner_code, count(*) as n,
                    (count(*) - 2) // 2 as p1, (count(*) - 1) // 2 as p2,
                    list_sort(list(requests)) as sorted
                from base group by espace_id, partner_code
            )
        ),
        judged as (
            select base.*, middles.n - 1 as other_months,
                case when base.requests > middles.s0 then middles.s0 else middles.s1 end
                    as first_middle,
                case when base.requests > middles.s1 then middles.s1 else middles.s2 end
                    as second_middle,
                middles.p1 = middles.p2 as odd_rest
            from base
            inner join middles
                on middles.espace_id = base.espace_id
                and middles.partner_code is not distinct from base.partner_code
        ),
        medians as (
            select espace_id, month, partner_code, requests, other_months,
                (first_middle + case when odd_rest then first_middle else second_middle end)
                    / 2.0 as median_requests
            from judged
        )
        select espace_id, month, partner_code, requests, median_requests::double
            as median_requests
        from medians
        where other_months >= $min_other_months and median_requests > 0
            and requests >= $factor * median_requests
        order by espace_id, month, partner_code nulls first
    """
    parameters = {"factor": factor, "min_other_months": min_other_months}
    return frame_of(con, query, parameters)


def flag_outliers(con: duckdb.DuckDBPyConnection, series: pl.DataFrame) -> pl.DataFrame:
    """Mark every figure of `series` (espace_id, partner_code) at least 10× its series' median
    of other months (flagged, kept). A series' median reads that series only: a feed changes
    the flags of the series it carries, so the others are neither read nor written."""
    with registered(con, "touched_series", series):
        outliers = series_outliers(
            con,
            """
            select figures.espace_id, figures.month, figures.partner_code, figures.requests
            from core.footfall as figures
            semi join touched_series as touched
                on touched.espace_id = figures.espace_id
                and touched.partner_code is not distinct from figures.partner_code
            """,
        )
    # Only the rows whose flag changes are written: updating every row of a large table in
    # the load's transaction costs gigabytes of undo buffers.
    with (
        registered(con, "outlier_rows", outliers.select(*KEY, "median_requests")),
        registered(con, "touched_series", series),
    ):
        con.execute(
            """
            update core.footfall as figures
            set is_outlier = false, median_requests = null
            where figures.is_outlier
                and exists (
                    select 1 from touched_series as touched
                    where touched.espace_id = figures.espace_id
                        and touched.partner_code is not distinct from figures.partner_code
                )
                and not exists (
                    select 1 from outlier_rows
                    where outlier_rows.espace_id = figures.espace_id
                        and outlier_rows.month = figures.month
                        and outlier_rows.partner_code is not distinct from figures.partner_code
                )
            """
        )
        con.execute(
            """
            update core.footfall as figures
            set is_outlier = true, median_requests = outlier_rows.median_requests
            from outlier_rows
            where outlier_rows.espace_id = figures.espace_id
                and outlier_rows.month = figures.month
                and outlier_rows.partner_code is not distinct from figures.partner_code
                and (not figures.is_outlier
                    or figures.median_requests is distinct from outlier_rows.median_requests)
            """
        )
    return outliers


# Months of marts.footfall_monthly computed by one statement: its memory is that of half a year
# of figures (and the year before), whatever the history. A first load of ten years refreshes
# in 20 steps (a year a step peaked at 3.1 GiB there instead of 2.6, for 3 % less time).
MONTHS_PER_STEP = 6


def refresh_monthly(con: duckdb.DuckDBPyConnection, from_date: date) -> None:
    """Bring marts.footfall_monthly up to date from `from_date`'s month on, six months at a time
    (sql/marts/footfall_monthly__refresh.sql)."""
    first = from_date.replace(day=1)
    row = fetch_first(
        con.execute("select min(month), max(month) from core.footfall where month >= ?", [first])
    )
    con.execute("delete from marts.footfall_monthly where month >= ?", [first])
    if row is None or row[0] is None:
        return
    start, last = max(first, row[0].replace(day=1)), row[1]
    while start <= last:
        until = _add_months(start, MONTHS_PER_STEP)
        run_model(con, "marts/footfall_monthly__refresh", {"from_date": start, "until": until})
        start = until


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def load_departements(con: duckdb.DuckDBPyConnection) -> None:
    """`core.ref_departements` from the repository's fsdata/reference/departements.csv."""
    path = default_reference_dir() / "departements.csv"
    frame = pl.read_csv(path, infer_schema=False).select(
        "dep_code", "dep_name", "reg_code", "reg_name"
    )
    con.execute("delete from core.ref_departements")
    insert_frame(con, "core.ref_departements", frame)


def write_readme(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    """`README.txt` beside the footfall exports: what they are and, above all, whether any
    figure in them is SYNTHETIC. Written atomically like the data files."""
    loads = con.execute(
        """
        select load_id, file_name, count(*) as n_rows, bool_or(is_synthetic) as synthetic
        from core.footfall
        join meta.loads using (load_id)
        group by all
        order by load_id
        """
    ).fetchall()
    synthetic = any(row[3] for row in loads)
    lines = []
    if synthetic:
        lines += [
            "ATTENTION : CES FICHIERS CONTIENNENT DES DONNÉES SYNTHÉTIQUES (INVENTÉES).",
            "Les lignes is_synthetic = true viennent du flux de démonstration",
            "footfall-SYNTHETIC-demo.csv : aucun chiffre n'est réel, ne pas les publier",
            "comme fréquentation des espaces France services.",
            "",
        ]
    lines += [
        "Fréquentation des espaces France services (flux des opérateurs).",
        "Format du flux : fsdata/reference/FOOTFALL_FORMAT.md. Aucune donnée ouverte ne publie",
        "la fréquentation par espace (SOURCES.md §4) : ces chiffres viennent des fichiers chargés",
        "ci-dessous ; les chiffres nationaux publiés sont dans partners/official_figures.",
        "",
        "Fichiers : footfall (par espace, mois, partenaire), footfall_monthly (espace,",
        "département, région, France), footfall_espace_ranking, footfall_reconciliation.",
        "",
        "Chargements en vigueur (load_id, fichier, lignes, synthétique) :",
    ]
    lines += [
        f"  {load_id}  {name}  {n}  {'SYNTHÉTIQUE' if synth else 'non'}"
        for load_id, name, n, synth in loads
    ]
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / "README.txt"
    temporary = folder / f".README.txt.tmp-{os.getpid()}"
    try:
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return final
