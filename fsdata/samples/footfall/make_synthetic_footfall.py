"""Write the SYNTHETIC demo footfall feed `footfall-SYNTHETIC-demo.csv` (deterministic).

The figures are invented: no open footfall data exists per espace (SOURCES.md §4). They only
look plausible (an espace handles ~200-400 requests a month, ~80-85 % resolved on site) so the
pipeline can be demonstrated end to end. Run `python make_synthetic_footfall.py [OUTPUT]`;
the same seed always writes the same bytes.
"""

from __future__ import annotations

import csv
import math
import random
import statistics
import sys
from datetime import date
from pathlib import Path

SEED = 20240801
OUTPUT = Path(__file__).with_name("footfall-SYNTHETIC-demo.csv")
COLUMNS = ("espace_id", "month", "partner", "requests", "resolved", "redirected")
FIRST_MONTH = date(2023, 1, 1)
LAST_MONTH = date(2024, 10, 1)

# Demo espaces: id → (opening month, closing date: first day it is closed, or None).
ESPACES: dict[str, tuple[date, date | None]] = {
    **{str(i): (date(2020, 1, 1), None) for i in range(1, 10)},
    "3": (date(2020, 1, 1), date(2024, 8, 1)),
    "10": (date(2023, 12, 1), None),
    "11": (date(2023, 12, 1), None),
}
# Espaces that also report a breakdown by partner (the others report totals only).
BREAKDOWN_ESPACES = ("1", "2", "3", "4", "5", "10")
# Shares of accompaniments by operator, as cited from the Cour des comptes 2024 in SOURCES.md §4.
PARTNER_SHARES = (("France Titres", 0.19), ("CNAF", 0.16), ("CNAM", 0.16), ("DGFiP", 0.15))
# Deliberate faults, to show quarantine and outlier detection.
EARLY_ROW = ("10", date(2023, 11, 1))  # a month before espace 10 opened: quarantined
OUTLIER = ("5", date(2024, 3, 1))  # total requests >= 10x the espace's median


def months() -> list[date]:
    result, current = [], FIRST_MONTH
    while current <= LAST_MONTH:
        result.append(current)
        year, month = divmod(current.month, 12)
        current = date(current.year + year, month + 1, 1)
    return result


def partner_label(name: str, month: date) -> str:
    """Operators write partners as they know them: ANTS before 2024, France Titres after."""
    if name == "France Titres" and month < date(2024, 1, 1):
        return "ANTS"
    return name


def counts(rng: random.Random, requests: int) -> tuple[int, int]:
    resolved = round(requests * rng.uniform(0.80, 0.85))
    redirected = round((requests - resolved) * rng.uniform(0.4, 0.7))
    return resolved, redirected


def build_rows(seed: int = SEED) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    totals: dict[str, list[int]] = {}
    for espace_id, (opened, closed) in ESPACES.items():
        base = rng.randint(200, 400)
        for month in months():
            is_early_row = (espace_id, month) == EARLY_ROW
            open_in_month = opened <= month and (closed is None or month < closed)
            if not open_in_month and not is_early_row:
                continue
            season = 1.0 + 0.1 * math.sin(2 * math.pi * (month.month - 3) / 12)
            requests = max(1, round(base * season * rng.uniform(0.92, 1.08)))
            if is_early_row:
                requests = round(requests * 0.3)
            resolved, redirected = counts(rng, requests)
            row = {
                "espace_id": espace_id,
                "month": f"{month:%Y-%m}",
                "partner": "",
                "requests": str(requests),
                "resolved": str(resolved),
                "redirected": str(redirected),
            }
            rows.append(row)
            totals.setdefault(espace_id, []).append(requests)
            if espace_id in BREAKDOWN_ESPACES:
                for name, share in PARTNER_SHARES:
                    part = max(1, round(requests * share * rng.uniform(0.85, 1.15)))
                    part_resolved, part_redirected = counts(rng, part)
                    rows.append(
                        {
                            "espace_id": espace_id,
                            "month": f"{month:%Y-%m}",
                            "partner": partner_label(name, month),
                            "requests": str(part),
                            "resolved": str(part_resolved),
                            "redirected": str(part_redirected),
                        }
                    )
    outlier_espace, outlier_month = OUTLIER
    for row in rows:
        if (
            row["espace_id"] == outlier_espace
            and row["month"] == f"{outlier_month:%Y-%m}"
            and not row["partner"]
        ):
            # An extra digit typed in the total: at least 10x the espace's usual month.
            usual = statistics.median(totals[outlier_espace])
            row["requests"] = str(math.ceil(usual * 10.5))
    return rows


def write(path: Path = OUTPUT) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(build_rows())
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(write(target))
