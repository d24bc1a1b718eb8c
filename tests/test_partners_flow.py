"""The partners flow end to end: the repository's catalogue, a user's catalogue, refusals, alias
mapping, and the promise tracker recomputed from the observatory sample files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from flows.demo import load_samples
from flows.partners import partners
from flows.pipeline import LoadRefused
from fsdata.config import sample_path
from tests.helpers import query
from transforms.observatoire import decode_indicators, demarches, edition_from_name, read_edition
from transforms.partners import (
    default_partner_catalogue,
    default_reference_dir,
    normalise_partner,
    partner_for_administration,
    read_administration_partners,
)

REFERENCE = default_reference_dir()


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_catalogue(folder: Path, rows: list[dict[str, str]], name: str = "partners.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def exports_snapshot(home: Path) -> dict[str, bytes]:
    folder = home / "exports" / "partners"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_repository_catalogue_loads_and_reloads_unchanged(prefect_server: None, home: Path) -> None:
    first = partners(home=str(home))
    assert first["status"] == "published"
    counts = query(
        home,
        "select (select count(*) from core.partners), (select count(*) from core.partner_services),"
        " (select count(*) from core.official_figures),"
        " (select count(*) from core.administration_partners)",
    )[0]
    assert counts == (
        len(csv_rows(REFERENCE / "partners.csv")),
        len(csv_rows(REFERENCE / "partner_services.csv")),
        len(csv_rows(REFERENCE / "official_figures.csv")),
        # Spellings that normalise alike ("ANTS", "ants") are one row.
        read_administration_partners(REFERENCE / "administration_partners.csv")[
            "administration_normalised"
        ].n_unique(),
    )
    renamed = query(
        home,
        "select former_names, source_document from core.partners where partner_code = ?",
        ["FRANCE_TRAVAIL"],
    )[0]
    assert renamed[0] == ["Pôle emploi (until 2023)"] and renamed[1]
    before = query(home, "select * exclude (load_id) from core.partners order by partner_code")
    again = partners(home=str(home))
    assert again["status"] == "unchanged"
    assert query(home, "select * exclude (load_id) from core.partners order by partner_code") == (
        before
    )
    statuses = query(home, "select status from meta.loads where source = 'partners' order by 1")
    assert statuses == [("published",), ("unchanged",)]
    # Empty promise tracker, with its documented columns, while the observatory is not loaded.
    assert query(home, "select count(*) from marts.demarche_partner_coverage") == [(0,)]
    assert (
        (home / "exports" / "partners" / "demarche_partner_coverage.csv")
        .read_text("utf-8")
        .startswith("edition_id,edition_date,n_demarches,n_covered,share_covered,")
    )


def test_partner_aliases_are_published_and_map_names(prefect_server: None, home: Path) -> None:
    partners(home=str(home))
    catalogue = default_partner_catalogue()
    for name, code in (
        ("Pôle emploi", "FRANCE_TRAVAIL"),
        ("pole-emploi", "FRANCE_TRAVAIL"),
        ("ANTS", "FRANCE_TITRES"),
        ("caisse d allocations familiales", "CNAF"),
    ):
        assert normalise_partner(name, catalogue.aliases) == code
    published = dict(query(home, "select alias_normalised, partner_code from core.partner_aliases"))
    assert published["poleemploi"] == "FRANCE_TRAVAIL"
    assert published["ants"] == "FRANCE_TITRES"
    assert published["caissedallocationsfamiliales"] == "CNAF"


def test_user_catalogue_replaces_the_repository_one(prefect_server: None, home: Path) -> None:
    partners(home=str(home))
    rows = csv_rows(REFERENCE / "partners.csv")
    local = dict(rows[0], partner_code="LOCAL_CAF_PLUS", aliases="Caf locale", name="CAF locale")
    mine = write_catalogue(home, [*rows[1:], local])
    summary = partners(home=str(home), file=str(mine))
    assert summary["status"] == "published"
    assert query(
        home, "select partner_code from core.partner_aliases where alias_normalised = 'caflocale'"
    ) == [("LOCAL_CAF_PLUS",)]
    assert query(home, "select count(*) from core.partner_services") == [(0,)]


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda rows: [*rows, dict(rows[0])], "partner_code_unique"),
        (lambda rows: [dict(rows[0], source_document=""), *rows[1:]], "partner_cited"),
        (
            lambda rows: (
                [dict(rows[0], effective_from="2020-01-01", effective_to="2019-01-01"), *rows[1:]]
            ),
            "partner_period_ordered",
        ),
        (lambda rows: [dict(rows[0], effective_from="01/07/2019"), *rows[1:]], "date_parseable"),
        (lambda rows: [dict(rows[0], aliases="CNAM"), *rows[1:]], "alias_unambiguous"),
    ],
)
def test_a_broken_catalogue_is_refused_and_nothing_changes(
    prefect_server: None, home: Path, change: Any, rule: str
) -> None:
    partners(home=str(home))
    exports = exports_snapshot(home)
    tables = query(home, "select * from core.partners order by partner_code")
    broken = write_catalogue(home, change(csv_rows(REFERENCE / "partners.csv")), "broken.csv")
    with pytest.raises(LoadRefused, match=rule):
        partners(home=str(home), file=str(broken), services=str(REFERENCE / "partner_services.csv"))
    assert exports_snapshot(home) == exports
    assert query(home, "select * from core.partners order by partner_code") == tables


def test_services_of_an_unknown_partner_are_refused(prefect_server: None, home: Path) -> None:
    rows = [r for r in csv_rows(REFERENCE / "partners.csv") if r["partner_code"] != "MSA"]
    mine = write_catalogue(home, rows)
    with pytest.raises(LoadRefused, match="service_partner_known"):
        partners(home=str(home), file=str(mine), services=str(REFERENCE / "partner_services.csv"))
    assert query(home, "select count(*) from core.partners") == [(0,)]


# --- the promise tracker on the demo data ------------------------------------------------------


def _expected_coverage() -> dict[str, tuple[int, int, float | None]]:
    """Per edition, from the sample files: (démarches, covered, share covered by volume)."""
    catalogue = default_partner_catalogue()
    mapping = read_administration_partners(REFERENCE / "administration_partners.csv")
    expected = {}
    for name in (
        "observatoire-edition-octobre-2022.csv",
        "observatoire-2-edition-11-octobre-2025-.xlsx",
        "observatoire-2-edition-13-avril-2026-.ods",
    ):
        path = sample_path("observatoire", name)
        edition = edition_from_name(name)
        table = read_edition(path)
        frame = demarches(table, edition)
        decoded = decode_indicators(table, edition.edition_id)
        volumes = {
            row["source_row"]: row["value_num"]
            for row in decoded.filter(decoded["indicator"] == "volume_online").to_dicts()
        }
        covered, volume_all, volume_covered = 0, 0.0, 0.0
        for row in frame.to_dicts():
            partner = None
            for value in (row["administration"], row["administration_id"]):
                if value is not None and partner is None:
                    partner = partner_for_administration(value, mapping, catalogue.aliases)
            covered += partner is not None
            volume = volumes.get(row["source_row"])
            if volume is not None:
                volume_all += volume
                volume_covered += volume if partner is not None else 0.0
        share = 100 * volume_covered / volume_all if volume_all else None
        expected[edition.edition_id] = (frame.height, covered, share)
    return expected


def test_promise_tracker_matches_the_observatory_files(
    prefect_server: None, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    partners(home=str(home))
    load_samples(str(home), "observatoire")
    # The catalogue again: unchanged, and the tracker now follows the observatory.
    assert partners(home=str(home))["status"] == "unchanged"
    got = {
        row[0]: row[1:]
        for row in query(
            home,
            "select edition_id, n_demarches, n_covered, share_covered, share_covered_by_volume "
            "from marts.demarche_partner_coverage",
        )
    }
    expected = _expected_coverage()
    assert set(got) == set(expected)
    for edition_id, (n, covered, share_volume) in expected.items():
        n_got, covered_got, share_got, share_volume_got = got[edition_id]
        assert (n_got, covered_got) == (n, covered), edition_id
        assert share_got == pytest.approx(100 * covered / n)
        if share_volume is None:
            assert share_volume_got is None
        else:
            assert share_volume_got == pytest.approx(share_volume)
    unmapped = query(
        home,
        "select administration from marts.demarche_uncovered_administrations "
        "where not administration_known",
    )
    assert unmapped, "an administration unknown to the observatory is listed, not guessed"
