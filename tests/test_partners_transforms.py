"""The partner catalogue: reference files, alias matching, administration mapping, GX suites."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from expectations.runner import validate
from transforms.errors import SourceFormatError
from transforms.official_figures import OFFICIAL_FIGURE_COLUMNS
from transforms.partners import (
    PARTNER_COLUMNS,
    THEMES,
    PartnerCatalogue,
    default_partner_catalogue,
    default_reference_dir,
    normalise_partner,
    partner_for_administration,
    partner_key,
    partners_active_on,
    read_administration_partners,
    read_partner_catalogue,
)

REFERENCE = default_reference_dir()


@pytest.fixture(scope="module")
def catalogue() -> PartnerCatalogue:
    return default_partner_catalogue()


@pytest.fixture(scope="module")
def mapping() -> pl.DataFrame:
    return read_administration_partners(REFERENCE / "administration_partners.csv")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def partner_row(code: str, **values: str) -> list[str]:
    row = dict.fromkeys(PARTNER_COLUMNS, "")
    row.update(
        partner_code=code,
        name=f"Partner {code}",
        effective_from="2019-07-01",
        source_document="Test document",
        source_date="2019-07-01",
    )
    row.update(values)
    return [row[c] for c in PARTNER_COLUMNS]


# --- the catalogue kept in the repository ---------------------------------------------------


def test_catalogue_loads_with_the_nine_national_partners_of_2019(
    catalogue: PartnerCatalogue,
) -> None:
    partners = catalogue.partners
    assert partners["partner_code"].n_unique() == partners.height
    founders = partners.filter(pl.col("effective_from") == date(2019, 7, 1))
    assert sorted(founders["partner_code"]) == sorted(
        [
            "CNAF",
            "CNAM",
            "CNAV",
            "MSA",
            "FRANCE_TRAVAIL",
            "LA_POSTE",
            "DGFIP",
            "JUSTICE",
            "FRANCE_TITRES",
        ]
    )
    energy = partners.filter(pl.col("partner_code") == "CHEQUE_ENERGIE").row(0, named=True)
    assert energy["effective_from"] == date(2024, 1, 1)
    assert partners["effective_to"].is_null().all()
    assert partners.schema["effective_from"] == pl.Date
    assert partners.schema["aliases"] == pl.List(pl.String)


def test_every_row_is_cited_and_themes_are_the_six(catalogue: PartnerCatalogue) -> None:
    for frame in (catalogue.partners, catalogue.services):
        assert frame["source_document"].is_not_null().all()
        assert frame["source_date"].is_not_null().all()
    partner_themes = set(catalogue.partners["themes"].explode().drop_nulls())
    assert partner_themes <= set(THEMES)
    assert set(catalogue.services["theme"]) <= set(THEMES)
    assert set(catalogue.services["partner_code"]) <= set(catalogue.partners["partner_code"])
    assert catalogue.services["service_code"].n_unique() == catalogue.services.height


def test_renames_keep_their_code_and_period(catalogue: PartnerCatalogue) -> None:
    travail = catalogue.partners.filter(pl.col("partner_code") == "FRANCE_TRAVAIL").row(
        0, named=True
    )
    assert travail["name"] == "France Travail"
    assert travail["former_names"] == ["Pôle emploi (until 2023)"]
    kinds = catalogue.aliases.filter(pl.col("alias_normalised") == "poleemploi")
    assert kinds["partner_code"].to_list() == ["FRANCE_TRAVAIL"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Pôle emploi", "FRANCE_TRAVAIL"),
        ("POLE-EMPLOI", "FRANCE_TRAVAIL"),
        ("France Travail", "FRANCE_TRAVAIL"),
        ("ANTS", "FRANCE_TITRES"),
        ("France Titres", "FRANCE_TITRES"),
        ("caisse d allocations familiales", "CNAF"),
        ("Caisse d’allocations familiales", "CNAF"),
        ("CAF", "CNAF"),
        ("cnaf", "CNAF"),
        ("Allocations familiales", "CNAF"),
        ("Assurance Maladie", "CNAM"),
        ("  dgfip ", "DGFIP"),
        ("Impôts", "DGFIP"),
        ("Chèque énergie", "CHEQUE_ENERGIE"),
        ("ministere de l'interieur", "FRANCE_TITRES"),
    ],
)
def test_alias_mapping(catalogue: PartnerCatalogue, value: str, code: str) -> None:
    assert normalise_partner(value, catalogue.aliases) == code


@pytest.mark.parametrize("value", ["Pôle", "Caisse", "URSSAF", "", "   ", "---"])
def test_unknown_names_are_never_guessed(catalogue: PartnerCatalogue, value: str) -> None:
    assert normalise_partner(value, catalogue.aliases) is None


def test_pole_emploi_and_france_travail_are_the_same_partner(
    catalogue: PartnerCatalogue,
) -> None:
    assert normalise_partner("Pôle emploi", catalogue.aliases) == normalise_partner(
        "France Travail", catalogue.aliases
    )


def test_partner_key_ignores_case_accents_and_punctuation() -> None:
    assert partner_key("Caisse d'Allocations  Familiales") == partner_key(
        "caisse d allocations familiales"
    )
    assert partner_key("Pôle-emploi") == "poleemploi"


def test_partners_active_on(catalogue: PartnerCatalogue) -> None:
    before = set(partners_active_on(catalogue.partners, date(2023, 6, 1))["partner_code"])
    after = set(partners_active_on(catalogue.partners, date(2024, 6, 1))["partner_code"])
    assert "CHEQUE_ENERGIE" not in before
    assert after - before == {"CHEQUE_ENERGIE"}
    assert len(before) == 9


# --- administrations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("administration", "code"),
    [
        ("CNAF", "CNAF"),
        ("Caisse nationale des allocations familiales", "CNAF"),
        ("Caisse nationale des allocations familiales (CNAF)", "CNAF"),
        ("CAF", "CNAF"),
        ("Assurance Maladie", "CNAM"),
        ("CNAM", "CNAM"),
        ("Assurance retraite", "CNAV"),
        ("CNAV", "CNAV"),
        ("MSA", "MSA"),
        ("Pôle emploi", "FRANCE_TRAVAIL"),
        ("France Travail", "FRANCE_TRAVAIL"),
        ("DGFiP", "DGFIP"),
        ("Direction Générale des Finances Publiques (DGFiP)", "DGFIP"),
        ("ANTS", "FRANCE_TITRES"),
        ("France Titres", "FRANCE_TITRES"),
        ("Ministère de la Justice", "JUSTICE"),
        ("La Poste", "LA_POSTE"),
        ("Ministère de l'Intérieur", "FRANCE_TITRES"),
        ("MINISTERE DE L INTERIEUR", "FRANCE_TITRES"),
        ("Caisse centrale de la Mutualité sociale agricole", "MSA"),
        ("France Titres (Agence nationale des titres sécurisés)", "FRANCE_TITRES"),
        ("France Travail (ex-Pôle emploi)", "FRANCE_TRAVAIL"),
        # identifiers of the observatory's administrations table
        ("cnaf", "CNAF"),
        ("cnam", "CNAM"),
        ("cnav", "CNAV"),
        ("msa", "MSA"),
        ("dgfip", "DGFIP"),
        ("france_travail", "FRANCE_TRAVAIL"),
        ("ants", "FRANCE_TITRES"),
        # not in the mapping table: found through the partner aliases
        ("Ameli", "CNAM"),
    ],
)
def test_administration_to_partner(
    catalogue: PartnerCatalogue, mapping: pl.DataFrame, administration: str, code: str
) -> None:
    assert partner_for_administration(administration, mapping, catalogue.aliases) == code


@pytest.mark.parametrize(
    "administration", ["Ministère des Armées", "URSSAF", "urssaf", "dinum", "", "Caisse"]
)
def test_administration_not_a_partner(
    catalogue: PartnerCatalogue, mapping: pl.DataFrame, administration: str
) -> None:
    assert partner_for_administration(administration, mapping, catalogue.aliases) is None


def test_administration_mapping_points_at_catalogue_codes(
    catalogue: PartnerCatalogue, mapping: pl.DataFrame
) -> None:
    assert mapping.columns[:4] == [
        "administration",
        "administration_normalised",
        "partner_code",
        "note",
    ]
    assert set(mapping["partner_code"]) <= set(catalogue.partners["partner_code"])


def test_administration_mapping_refuses_ambiguity(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "admins.csv",
        ["administration", "partner_code"],
        [["CNAF", "CNAF"], ["C.N.A.F.", "CNAM"]],
    )
    with pytest.raises(SourceFormatError) as error:
        read_administration_partners(path)
    assert error.value.rule == "administration_unambiguous"


def test_administration_mapping_requires_its_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "admins.csv", ["administration", "code"], [["CNAF", "CNAF"]])
    with pytest.raises(SourceFormatError) as error:
        read_administration_partners(path)
    assert (error.value.rule, error.value.column) == ("required_column_present", "partner_code")


# --- official figures -----------------------------------------------------------------------


def test_official_figures_are_cited_numbers() -> None:
    figures = pl.read_csv(REFERENCE / "official_figures.csv", infer_schema=False)
    assert tuple(figures.columns) == OFFICIAL_FIGURE_COLUMNS
    assert figures["source_document"].is_not_null().all()
    assert figures["source_date"].str.to_date("%Y-%m-%d").is_not_null().all()
    values = figures["value"].cast(pl.Float64)
    assert values.is_not_null().all()
    keyed = figures.select("figure_code", "period_start", "scope", "source_document")
    assert keyed.n_unique() == figures.height
    requests_2023 = figures.filter(
        (pl.col("figure_code") == "requests_per_year") & (pl.col("period_start") == "2023-01-01")
    )
    assert requests_2023["value"].to_list() == ["9000000"]


# --- reading your own catalogue -------------------------------------------------------------


def test_own_catalogue_without_services(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        [*PARTNER_COLUMNS, "local_note"],
        [
            [
                *partner_row(
                    "ABC", aliases="Alpha|Alpha Beta", former_names="Old ABC (until 2020)"
                ),
                "x",
            ],
            [*partner_row("XYZ", effective_to="2022-12-31"), ""],
        ],
    )
    catalogue = read_partner_catalogue(path, None)
    assert catalogue.partners.height == 2
    assert "local_note" in catalogue.partners.columns
    assert catalogue.services.height == 0
    assert "effective_from_le_to" in catalogue.services.columns
    assert normalise_partner("alpha-beta", catalogue.aliases) == "ABC"
    assert normalise_partner("Old ABC", catalogue.aliases) == "ABC"
    kinds = dict(catalogue.aliases.select("alias_normalised", "kind").iter_rows())
    assert kinds["abc"] == "code"
    assert kinds["oldabc"] == "former_name"
    assert kinds["partnerabc"] == "name"
    assert kinds["alpha"] == "alias"
    assert set(catalogue.aliases.columns) >= {"alias_normalised", "partner_code", "kind"}


@pytest.mark.parametrize("missing", ["partner_code", "source_document", "effective_to"])
def test_missing_required_column_is_refused(tmp_path: Path, missing: str) -> None:
    header = [c for c in PARTNER_COLUMNS if c != missing]
    row = [v for c, v in zip(PARTNER_COLUMNS, partner_row("ABC"), strict=True) if c != missing]
    path = write_csv(tmp_path / "partners.csv", header, [row])
    with pytest.raises(SourceFormatError) as error:
        read_partner_catalogue(path, None)
    assert error.value.rule == "required_column_present"
    assert error.value.column == missing
    assert error.value.file == "partners.csv"


def test_missing_service_column_is_refused(tmp_path: Path) -> None:
    partners = write_csv(tmp_path / "partners.csv", list(PARTNER_COLUMNS), [partner_row("ABC")])
    services = write_csv(
        tmp_path / "services.csv", ["partner_code", "service_code"], [["ABC", "ABC.x"]]
    )
    with pytest.raises(SourceFormatError) as error:
        read_partner_catalogue(partners, services)
    assert error.value.rule == "required_column_present"
    assert error.value.column == "service_label"


def test_alias_designating_two_partners_is_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        list(PARTNER_COLUMNS),
        [partner_row("ABC", aliases="Shared"), partner_row("XYZ", aliases="SHARED")],
    )
    with pytest.raises(SourceFormatError) as error:
        read_partner_catalogue(path, None)
    assert error.value.rule == "alias_unambiguous"


def test_bad_date_is_refused_with_its_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        list(PARTNER_COLUMNS),
        [partner_row("ABC"), partner_row("XYZ", effective_from="01/07/2019")],
    )
    with pytest.raises(SourceFormatError) as error:
        read_partner_catalogue(path, None)
    assert (error.value.rule, error.value.column, error.value.row) == (
        "date_parseable",
        "effective_from",
        3,
    )


# --- GX suites ------------------------------------------------------------------------------


def test_partner_suites_pass_on_the_repository_catalogue(catalogue: PartnerCatalogue) -> None:
    outcome = validate(catalogue.partners, "partners")
    assert not [r for r in outcome.results if not r.success], outcome.summary()
    outcome = validate(catalogue.services, "partner_services")
    assert not [r for r in outcome.results if not r.success], outcome.summary()


def test_partner_suite_blocks_duplicates_bad_periods_and_uncited_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        list(PARTNER_COLUMNS),
        [
            partner_row("ABC"),
            partner_row("ABC"),
            partner_row("XYZ", effective_from="2024-01-01", effective_to="2023-12-31"),
            partner_row("OK1", source_date=""),
            partner_row("OK2", source_document=""),
        ],
    )
    partners = read_partner_catalogue(path, None).partners
    outcome = validate(partners, "partners")
    assert outcome.blocking_failed
    rows = outcome.rows_by_rule("blocking")
    assert sorted(rows["partner_code_unique"]) == [0, 1]
    assert rows["partner_period_ordered"] == [2]
    assert sorted(rows["partner_cited"]) == [3, 4]


def test_services_suite_blocks_unknown_theme(catalogue: PartnerCatalogue) -> None:
    services = catalogue.services.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("gardening"))
        .otherwise(pl.col("theme"))
        .alias("theme")
    )
    outcome = validate(services, "partner_services")
    assert outcome.rows_by_rule("blocking") == {"service_theme_known": [1]}
