"""Deterministic synthetic history for the benchmarks (seeded; run by hand, not in tests).

- `espace_snapshots(scale, days)`: daily espace listings in the canonical shape the load task
  publishes (`warehouse.espaces.RAW_COLUMNS`), ~3,000 × scale espaces, with churn: about one
  opening a day network-wide (× scale), slightly fewer closures, and ~0.5 % of the open
  espaces changing an attribute each day.
- `write_listing_csv(frame, path)`: one snapshot as a listing CSV of the 2024 layout.
- `write_footfall(path, rows)`: footfall rows (espace × month × partner) in the feed format of
  fsdata/reference/FOOTFALL_FORMAT.md, as Parquet.
- `write_observatory_editions(folder, editions)`: CSV editions in the layout of
  fsdata/samples/observatoire (semicolon, Windows-1252).

    .venv/bin/python benchmarks/synthetic.py --out /tmp/synthetic [--scale 1] [--days 3650]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

START = date(2020, 1, 1)
BASE_ESPACES = 3_000
DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "974"]
TYPES = ("principal", "antenne")
FORMATS = ("fixe", "fixe_antennes", "multisite", "itinerant", "bus")
PARTNERS = (
    "CNAF", "CNAM", "CNAV", "MSA", "DGFIP", "FT", "ANTS", "MJ", "LPO", "ANAH", "CHEQUE",
    "URSSAF", "AGIRC", "ASP", "CAF", "CPAM", "DGDDI", "ONAC", "ANCT", "IMPOTS", "CARSAT",
    "MDPH", "ARS", "CROUS", "PREF", "ANTAI", "DILA", "INSEE",
)  # fmt: skip
# One name per partner of fsdata/reference/partners.csv: two names of one partner would make
# two rows of the same (espace, month, partner), which a feed must not have.
FEED_PARTNERS = (
    "CAF", "CNAM", "CNAV", "MSA", "France Travail", "La Poste", "DGFiP", "Justice",
    "France Titres", "Chèque énergie",
)  # fmt: skip
HOURS = "09:00 - 12:00 / 13:30 - 17:00"


class _Network:
    """The espaces and their attributes, mutated day by day."""

    def __init__(self, scale: int, rng: np.random.Generator) -> None:
        n = BASE_ESPACES * scale
        self.rng = rng
        self.next_id = n
        self.ids = np.arange(n)
        self.dep = rng.integers(0, len(DEPARTEMENTS), n)
        self.type = rng.integers(0, 2, n)
        self.format = rng.integers(0, len(FORMATS), n)
        self.version = np.zeros(n, dtype=np.int64)
        self.lat = rng.uniform(43.0, 50.5, n).round(6)
        self.lon = rng.uniform(-1.5, 7.5, n).round(6)
        self.scale = scale

    def step(self) -> None:
        rng, n = self.rng, len(self.ids)
        changed = rng.random(n) < 0.005
        self.version[changed] += 1
        closed = rng.random(n) < 0.8 * self.scale / n
        keep = ~closed
        self.ids, self.dep, self.type = self.ids[keep], self.dep[keep], self.type[keep]
        self.format, self.version = self.format[keep], self.version[keep]
        self.lat, self.lon = self.lat[keep], self.lon[keep]
        opened = rng.poisson(1.0 * self.scale)
        if opened:
            new = np.arange(self.next_id, self.next_id + opened)
            self.next_id += opened
            self.ids = np.concatenate([self.ids, new])
            self.dep = np.concatenate([self.dep, rng.integers(0, len(DEPARTEMENTS), opened)])
            self.type = np.concatenate([self.type, rng.integers(0, 2, opened)])
            self.format = np.concatenate([self.format, rng.integers(0, len(FORMATS), opened)])
            self.version = np.concatenate([self.version, np.zeros(opened, dtype=np.int64)])
            self.lat = np.concatenate([self.lat, rng.uniform(43.0, 50.5, opened).round(6)])
            self.lon = np.concatenate([self.lon, rng.uniform(-1.5, 7.5, opened).round(6)])

    def frame(self) -> pl.DataFrame:
        ids = pl.Series("espace_id", self.ids).cast(pl.String)
        dep = pl.Series("insee_dep", np.array(DEPARTEMENTS)[self.dep])
        n = len(self.ids)
        return pl.DataFrame(
            {
                "source_row": pl.int_range(2, n + 2, eager=True).cast(pl.Int32),
                "espace_id": ids,
                "name": "France services " + ids,
                "type": pl.Series(np.array(TYPES)[self.type]),
                "format": pl.Series(np.array(FORMATS)[self.format]),
                "address": "1 place de la Mairie",
                "address_complement": None,
                "postcode": dep + "000",
                "insee_com": dep + "001",
                "commune": "Commune " + dep,
                "insee_dep": dep,
                "latitude": self.lat,
                "longitude": self.lon,
                "phone": "01 00 00 " + pl.Series(self.version % 100).cast(pl.String),
                "email": "contact" + ids + "@example.org",
                "website": None,
                **{
                    f"hours_{d}": HOURS
                    for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
                },
                "hours_saturday": None,
                "hours_sunday": None,
                "appointment": True,
                "labellisation_date": date(2020, 1, 1),
                "group_name": None,
                "comment": None,
                "type_label": pl.Series(np.array(TYPES)[self.type]),
                "format_label": pl.Series(np.array(FORMATS)[self.format]),
                "coordinates_check": "ok",
                "quality_flags": pl.Series([[]] * n, dtype=pl.List(pl.String)),
                "extra": None,
            },
            schema_overrides={
                "address_complement": pl.String,
                "website": pl.String,
                "hours_saturday": pl.String,
                "hours_sunday": pl.String,
                "group_name": pl.String,
                "comment": pl.String,
                "extra": pl.String,
            },
        )


def espace_snapshots(
    scale: int = 1, days: int = 3650, seed: int = 7
) -> Iterator[tuple[date, pl.DataFrame]]:
    network = _Network(scale, np.random.default_rng(seed))
    for day in range(days):
        if day:
            network.step()
        yield START + timedelta(days=day), network.frame()


def write_listing_csv(frame: pl.DataFrame, path: Path) -> Path:
    """A snapshot in the 2024 listing layout (what `fsdata ingest espaces` reads)."""
    frame.select(
        pl.col("espace_id").alias("id_fs"),
        pl.col("insee_dep"),
        pl.col("name").alias("lib_fs"),
        pl.col("address").alias("adresse"),
        pl.col("insee_com"),
        pl.col("postcode").alias("code_postal"),
        pl.col("commune").alias("lib_com"),
        pl.col("latitude"),
        pl.col("longitude"),
        pl.col("email").alias("mail"),
        pl.col("phone").alias("telephone"),
        pl.col("type_label").alias("type_fs"),
        pl.col("format_label").alias("format_fs"),
    ).write_csv(path)
    return path


def write_footfall(path: Path, rows: int = 10_000_000, seed: int = 11) -> Path:
    """espace × month × partner rows, the documented feed columns, as Parquet. Espaces are
    numbered from 0, 1,200 rows each (120 months × 10 partners): load a listing with at least
    `footfall_espaces(rows)` espaces first."""
    rng = np.random.default_rng(seed)
    months = [f"{y}-{m:02d}" for y in range(2016, 2026) for m in range(1, 13)]
    per_espace = len(months) * len(FEED_PARTNERS)
    espaces = -(-rows // per_espace)
    index = np.arange(rows)
    requests = rng.poisson(40, rows)
    resolved = (requests * rng.uniform(0.5, 1.0, rows)).astype(np.int64)
    frame = pl.DataFrame(
        {
            "espace_id": (index // per_espace).astype(str),
            "month": pl.Series(np.array(months)[(index // len(FEED_PARTNERS)) % len(months)]),
            "partner": pl.Series(np.array(FEED_PARTNERS)[index % len(FEED_PARTNERS)]),
            "requests": requests,
            "resolved": resolved,
            "redirected": requests - resolved,
        }
    )
    assert espaces >= 1
    frame.write_parquet(path, compression="zstd")
    return path


def footfall_espaces(rows: int) -> int:
    return -(-rows // (120 * len(FEED_PARTNERS)))


OBSERVATORY_HEADER = (
    "Démarche;Ministère;Administration;Catégories usagers;Réalisable En Ligne;Volumétrie;"
    "Tx_Recours_Demat;Satisfaction;Simplicité du langage;Aide joignable;Aide efficace;"
    "Prise en compte du handicap;Libelle_RGAA;FranceConnect;DLNUF;Taux dispo;Temps de réponse"
)


def write_observatory_editions(folder: Path, editions: int = 40, seed: int = 13) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for edition in range(editions):
        year, quarter = 2016 + edition // 4, edition % 4
        month = ("janvier", "avril", "juillet", "octobre")[quarter]
        lines = [OBSERVATORY_HEADER]
        for d in range(250):
            satisfaction = str(round(float(rng.uniform(5, 9.5)), 1)).replace(".", ",")
            lines.append(
                f"Démarche {d};Ministère {d % 12};Administration {d % 40};Particuliers;"
                f"{'Oui' if rng.random() < 0.8 else 'Non'};{int(rng.integers(1000, 10**7))};"
                f"{rng.uniform(0, 1):.4f}".replace(".", ",")
                + f";{satisfaction} / 10;8 / 10;0,8;7 / 10;Oui;Partiel;FranceConnect;1;"
                "99,9 %;300 ms"
            )
        path = folder / f"observatoire-edition-{month}-{year}.csv"
        path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--days", type=int, default=3650)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    last = None
    for _, frame in espace_snapshots(args.scale, args.days):
        last = frame
    assert last is not None
    write_listing_csv(last, args.out / f"listing-day{args.days}-{args.scale}x.csv")
    write_footfall(args.out / "footfall-10M.parquet")
    write_observatory_editions(args.out / "observatoire")


if __name__ == "__main__":
    main()
