"""The observatory as DINUM publishes it since 2025: every value decoded, unknown labels counted.

Expectations are counted on the generated rows (tests/observatoire_2025.py) or taken from the
facts published about the real October 2025 file, never from the code under test.
"""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from expectations.runner import validate
from tests.observatoire_2025 import DATE_HEADER, HEADERS_2025, rows_2025, write_csv, write_xlsx
from transforms.observatoire import (
    NULL_REASONS,
    STATUS_CODES,
    SUITE_PARAMETERS,
    ParsedEdition,
    UnknownLabel,
    data_period,
    decode_value,
    describe_unknown_labels,
    edition_from_name,
    parse_edition,
    read_labels,
)

NAME = "observatoire-2-edition-11-octobre-2025-.xlsx"
REAL = Path("observatoire") / NAME
Row = dict[str, Any]
Generated = tuple[list[Row], ParsedEdition]
PLACEHOLDERS = {"À venir", "Nombre d'avis insuffisant", "Non applicable", "Démarche proactive", "–"}


def parsed_of(path: Path) -> ParsedEdition:
    return parse_edition(path, edition_from_name(NAME), ())


def cells(parsed: ParsedEdition, indicator: str) -> pl.DataFrame:
    return parsed.indicators.filter(pl.col("indicator") == indicator).sort("source_row")


def column(rows: list[Row], header: str) -> list[Any]:
    return [row[header] for row in rows]


# ------------------------------------------------------------------------------ generated


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    rows = rows_2025(40)
    path = write_xlsx(tmp_path_factory.mktemp("obs2025") / NAME, rows)
    return rows, parsed_of(path)


def test_every_cell_of_the_format_is_decoded(generated: Generated) -> None:
    rows, parsed = generated
    assert parsed.demarches.height == len(rows) == 40  # the trailing empty row is no démarche
    assert parsed.indicators.filter(pl.col("decode_issue").is_not_null()).height == 0
    assert parsed.unknown_labels == [] and parsed.unknown_columns == []
    assert len(parsed.header_map) == len(HEADERS_2025)
    assert (parsed.sheet, parsed.data_period) == ("Chiffres VDE T3-25 (octobre-25)", "2025-Q3")
    # Every placeholder, in every column, is a reason, never a value.
    placeholders = parsed.indicators.filter(pl.col("raw").is_in(list(PLACEHOLDERS - {"–"})))
    proactive_status = (pl.col("indicator") == "online_status") & (
        pl.col("raw") == "Démarche proactive"
    )
    assert placeholders.filter(~proactive_status)["null_reason"].null_count() == 0
    assert (
        placeholders.filter(~proactive_status)["value_num"].null_count()
        == placeholders.filter(~proactive_status).height
    )


def test_compliance_is_categorical_with_levels(generated: Generated) -> None:
    rows, parsed = generated
    source = column(rows, "Prise en compte Handicap")
    got = cells(parsed, "handicap")
    expected = {"Totale": ("totale", "green"), "Partielle": ("partielle", "orange")}
    expected["Non conforme"] = ("non_conforme", "red")
    for label, (code, level) in expected.items():
        decoded = got.filter(pl.col("raw") == label)
        assert decoded.height == source.count(label) > 0
        assert set(zip(decoded["value_text"], decoded["level"], strict=True)) == {(code, level)}
    assert got["value_text"].drop_nulls().len() == sum(source.count(k) for k in expected)
    reasons = got.filter(pl.col("value_text").is_null())["null_reason"].to_list()
    assert sorted(reasons) == sorted(
        {"–": "non_renseigne", "À venir": "a_venir", "Démarche proactive": "demarche_proactive"}[
            label
        ]
        for label in source
        if label not in expected
    )


def test_autonomy_is_a_rate_0_100_rounded(generated: Generated) -> None:
    rows, parsed = generated
    source = [v for v in column(rows, "Niveau Autonomie") if isinstance(v, float)]
    got = cells(parsed, "autonomy")["value_num"].drop_nulls().to_list()
    assert got == [round(v * 100, 6) for v in source]
    assert statistics.median(got) == pytest.approx(statistics.median(source) * 100)
    assert all(0 <= v <= 100 for v in got)
    # Binary noise is gone: notes 8.700000000000001 come out as 8.7.
    notes = cells(parsed, "satisfaction")["value_num"].drop_nulls().to_list()
    assert notes and all(v == round(v, 1) for v in notes)


def test_rgaa_non_is_no_audit(generated: Generated) -> None:
    rows, parsed = generated
    source = column(rows, "Taux Audit RGAA")
    got = cells(parsed, "accessibility_rate")
    assert got.filter(pl.col("null_reason") == "sans_audit").height == source.count("Non") > 0
    rates = got["value_num"].drop_nulls().to_list()
    assert rates == [round(v * 100, 6) for v in source if isinstance(v, float)]


def test_declaration_dates_and_the_expired_flag(generated: Generated) -> None:
    rows, parsed = generated
    source = column(rows, DATE_HEADER)
    got = cells(parsed, "accessibility_declaration_date")
    expected = []
    for value in source:
        if isinstance(value, date):
            expected.append((value.isoformat(), None))
        elif isinstance(value, str) and "(périmée)" in value:
            day, month, year = value.split("\n")[0].split("/")
            expected.append((f"{year}-{month}-{day}", "red"))
        elif value == "Démarche proactive":
            expected.append((None, None))
        else:
            expected.append((None, None))
    assert list(zip(got["value_text"], got["level"], strict=True)) == expected
    assert got.filter(pl.col("level") == "red")["note"].unique().to_list() == ["périmée"]


def test_user_categories_are_lists(generated: Generated) -> None:
    rows, parsed = generated
    assert parsed.demarches["user_categories"].to_list() == [
        [part.strip() for part in value.split(";")] for value in column(rows, "Categories Usagers")
    ]


def test_demarche_proactive_is_a_reason_outside_the_online_status(generated: Generated) -> None:
    _, parsed = generated
    proactive = parsed.indicators.filter(pl.col("raw") == "Démarche proactive")
    status = proactive.filter(pl.col("indicator") == "online_status")
    assert status.select("value_text", "null_reason").row(0) == ("demarche_proactive", None)
    others = proactive.filter(pl.col("indicator") != "online_status")
    assert others.height == 13
    assert set(others["null_reason"]) == {"demarche_proactive"}


def test_values_suite_passes_on_the_format(generated: Generated) -> None:
    _, parsed = generated
    outcome = validate(parsed.indicators, "observatoire_values", SUITE_PARAMETERS)
    assert outcome.summary() == "all rules passed"


def test_csv_export_of_the_format_decodes_the_same(tmp_path: Path, generated: Generated) -> None:
    rows, from_xlsx = generated
    from_csv = parsed_of(write_csv(tmp_path / NAME.replace(".xlsx", ".csv"), rows))
    key = ["source_row", "indicator"]
    columns = ["value_num", "value_text", "level", "null_reason"]
    assert from_csv.indicators.filter(pl.col("decode_issue").is_not_null()).height == 0
    assert (
        from_csv.indicators.sort(key)
        .select(columns)
        .equals(from_xlsx.indicators.sort(key).select(columns))
    )
    assert from_csv.data_period is None  # a CSV has no sheet name and no title rows here


# ------------------------------------------------------------------------------ variants


@pytest.mark.parametrize(
    ("indicator", "raw", "expected"),
    [
        ("handicap", "PARTIELLE", ("partielle", "orange", None)),
        ("handicap", "  non   conforme ", ("non_conforme", "red", None)),
        ("handicap", "Non-conforme", ("non_conforme", "red", None)),
        ("handicap", "totale\n", ("totale", "green", None)),
        ("handicap", "Partiellement conforme", ("partielle", "orange", None)),
        ("satisfaction", "a venir", (None, None, "a_venir")),
        ("clarity", "Nombre d\u2019avis insuffisant", (None, None, "avis_insuffisants")),
        ("franceconnect", "Démarche Proactive", (None, None, "demarche_proactive")),
        ("franceconnect", "FranceConnect+", ("franceconnect_plus", "green", None)),
        ("franceconnect", "non applicable", (None, None, "non_applicable")),
        ("uptime", "-", (None, None, "non_renseigne")),
        ("online_status", "EN COURS DE DEPLOIEMENT", (None, None, "valeur_inconnue")),
        (
            "online_status",
            "EN COURS DE DÉPLOIEMENT  LOCAL",
            ("en_cours_deploiement_local", "orange", None),
        ),
        ("accessibility_rate", "non", (None, None, "sans_audit")),
    ],
)
def test_label_variants(indicator: str, raw: str, expected: tuple[Any, ...]) -> None:
    decoded = decode_value(indicator, raw)
    assert (decoded.value_text, decoded.level, decoded.null_reason) == expected
    assert (decoded.decode_issue is None) == (expected[2] != "valeur_inconnue")


@pytest.mark.parametrize(
    ("raw", "iso", "level"),
    [
        ("45000", "2023-03-15", None),
        ("21/06/2022\n(périmée)\n", "2022-06-21", "red"),
        ("01/02/2023 (bientôt périmée)", "2023-02-01", "orange"),
        ("2024-12-10", "2024-12-10", None),
    ],
)
def test_declaration_date_forms(raw: str, iso: str, level: str | None) -> None:
    decoded = decode_value("accessibility_declaration_date", raw)
    assert (decoded.value_text, decoded.level, decoded.decode_issue) == (iso, level, None)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Chiffres VDE T3-25 (octobre-25)", "2025-Q3"),
        ("Chiffres VDE T4-25 (janvier-26)", "2025-Q4"),
        ("Données du 1er trimestre 2026", "2026-Q1"),
        ("VDE 2026-T2", "2026-Q2"),
        ("Démarches", None),
        ("octobre 2025", None),
    ],
)
def test_data_period(text: str, period: str | None) -> None:
    assert data_period(text) == period


def test_data_period_of_another_quarter(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / NAME, rows_2025(13), sheet="Chiffres VDE T4-25 (janvier-26)")
    assert parsed_of(path).data_period == "2025-Q4"


# ------------------------------------------------------------------------------ unknown labels


def test_unknown_labels_are_quarantined_and_listed_once_with_their_count(tmp_path: Path) -> None:
    rows = rows_2025(40)
    for i in range(12):  # « Conforme » in case and spacing variants: one label
        rows[i]["Prise en compte Handicap"] = "Conforme" if i % 2 else " conforme "
    rows[20]["FranceConnect"] = "FranceConnect v3"
    rows[21]["Statut En ligne"] = "Bientôt"
    rows[22]["Statut En ligne"] = "Bientôt"
    parsed = parsed_of(write_xlsx(tmp_path / NAME, rows))

    assert parsed.demarches.height == 40  # the edition still loads
    assert parsed.unknown_labels == [
        UnknownLabel("Prise en compte Handicap", "handicap", "conforme", 12),
        UnknownLabel("Statut En ligne", "online_status", "Bientôt", 2),
        UnknownLabel("FranceConnect", "franceconnect", "FranceConnect v3", 1),
    ]
    line = describe_unknown_labels(parsed.unknown_labels)
    assert "Prise en compte Handicap: 'conforme' × 12" in line
    assert "observatoire_labels.csv" in line
    unknown = parsed.indicators.filter(pl.col("decode_issue").is_not_null())
    assert unknown.height == 15
    assert set(unknown["null_reason"]) == {"valeur_inconnue"}
    assert unknown["value_num"].null_count() == unknown["value_text"].null_count() == 15
    # Each quarantined cell names its source column.
    issue = unknown.filter(pl.col("indicator") == "franceconnect")["decode_issue"].item()
    assert issue.startswith("column 'FranceConnect': franceconnect: unknown value")
    outcome = validate(parsed.indicators, "observatoire_values", SUITE_PARAMETERS)
    assert not outcome.blocking_failed
    assert len(outcome.rows_by_rule("warning")["value_decoded"]) == 15


def test_a_label_described_in_the_table_is_decoded(tmp_path: Path) -> None:
    """What an operator does when a run lists an unknown label: one row in the label table."""
    table = Path(__file__).parent.parent / "transforms" / "reference" / "observatoire_labels.csv"
    extended = tmp_path / "labels.csv"
    extended.write_text(
        table.read_text(encoding="utf-8") + "handicap,Conforme,totale,,green,\n", encoding="utf-8"
    )
    assert read_labels(extended)["handicap"]["conforme"].value_text == "totale"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("handicap,Conforme,totale,,purple,", "level must be one of"),
        ("handicap,Conforme,,,,", "either a value or a null_reason"),
        ("handicap,Conforme,totale,,green,a_venir", "either a value or a null_reason"),
        ("*,Conforme,totale,,green,", "can only be null reasons"),
        ("accessibility,Conforme,totale,,green,", "unknown indicator"),
        ("handicap,Totale,partielle,,orange,", "already described"),
        ("*,Plus tard,,,,later", "null_reason must be one of"),
    ],
)
def test_malformed_label_rows_are_refused(tmp_path: Path, row: str, message: str) -> None:
    table = Path(__file__).parent.parent / "transforms" / "reference" / "observatoire_labels.csv"
    text = table.read_text(encoding="utf-8")
    bad = tmp_path / "labels.csv"
    bad.write_text(text + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        read_labels(bad)
    assert f"labels.csv:{len(text.splitlines()) + 1}" in str(error.value)


def test_values_suite_vocabularies_are_the_label_table() -> None:
    suite = json.loads(
        (Path(__file__).parent.parent / "expectations" / "observatoire_values.json").read_text()
    )
    sets = {e["meta"]["rule"]: e["kwargs"].get("value_set") for e in suite["expectations"]}
    assert sets["null_reason_known"] == list(NULL_REASONS)
    assert sets["online_status_known"] == list(STATUS_CODES["online_status"])
    assert sets["handicap_status_known"] == list(STATUS_CODES["handicap"])
    assert sets["accessibility_word_known"] == list(STATUS_CODES["accessibility_rate"])
    assert sets["franceconnect_known"] == list(STATUS_CODES["franceconnect"])


# ------------------------------------------------------------------------------ the real file


@pytest.mark.realdata
def test_the_real_october_2025_edition(shared_data: Path) -> None:
    parsed = parsed_of(shared_data / REAL)
    frame = parsed.indicators
    assert parsed.demarches.height == 246
    assert parsed.demarches["source_demarche_id"].null_count() == 0
    assert frame.filter(pl.col("decode_issue").is_not_null()).height == 0
    assert parsed.unknown_labels == [] and parsed.unknown_columns == []
    assert parsed.data_period == "2025-Q3"

    compliance = cells(parsed, "handicap")
    assert compliance["value_text"].drop_nulls().len() == 233
    assert compliance["value_text"].value_counts().sort("value_text").rows() == [
        (None, 13),
        ("non_conforme", 78),
        ("partielle", 147),
        ("totale", 8),
    ]
    autonomy = cells(parsed, "autonomy")["value_num"].drop_nulls()
    assert (autonomy.len(), autonomy.median()) == (170, 63.0)
    assert autonomy.min() >= 17 and autonomy.max() <= 92
    satisfaction = cells(parsed, "satisfaction")["value_num"].drop_nulls()
    assert (satisfaction.len(), satisfaction.median()) == (175, 7.8)
    reachable = cells(parsed, "help_reachable")["value_num"].drop_nulls()
    assert (reachable.len(), round(reachable.median(), 2)) == (136, 68.99)
    assert (
        cells(parsed, "accessibility_rate").filter(pl.col("null_reason") == "sans_audit").height
        == 60
    )
    online = cells(parsed, "online_status")["value_text"].to_list()
    assert online.count("oui") == 219
    dates = cells(parsed, "accessibility_declaration_date")
    in_force = dates.filter(pl.col("value_text").is_not_null() & pl.col("level").is_null())
    assert (in_force.height, in_force["value_text"].min(), in_force["value_text"].max()) == (
        195,
        "2022-11-03",
        "2025-09-10",
    )
    expired = dates.filter(pl.col("level") == "red")
    assert expired.height == 23 and set(expired["note"]) == {"périmée"}
    assert dates["null_reason"].value_counts().sort("null_reason").rows() == [
        (None, 218),
        ("non_renseigne", 28),
    ]
    outcome = validate(frame, "observatoire_values", SUITE_PARAMETERS)
    assert outcome.summary() == "all rules passed"
