"""Derive the suite `expectations/mediation.json` from the national Table Schema.

    python -m expectations.mediation_schema        # rewrite expectations/mediation.json

The suite is written to a JSON file like every other suite (the runner, GX and the DuckDB
engine all read suites from there, and a new schema version shows as a reviewable diff);
`tests/test_mediation.py` checks that the committed file is what this derivation gives.

Rule classes follow the schema itself:

- *blocking* (the file's structure): at least one row, the schema's columns all present;
- *row_rejected*: a `required` field empty, the primary key repeated, or a constraint of a
  required field broken (its pattern, its type): the lieu cannot be identified or dated;
- *warning*: a constraint of an optional field broken (pattern, enumeration of a `|` list,
  type, maximum length): the lieu loads, flagged with the rule.

Patterns are anchored (`^(?:…)$`): a Table Schema pattern must match the whole value, while
GX's pandas engine and DuckDB's `regexp_matches` search. Types become patterns too (a number,
an ISO date) and `maxLength` a length pattern, so every rule is a type the DuckDB engine
translates (`expectations/sql_engine.py`) and the national file (tens of thousands of rows)
never needs GX on pandas.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from transforms.mediation import enumeration, table_schema

SUITE_FILE = Path(__file__).with_name("mediation.json")
NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
ISO_DATE = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$"


def _expectation(kind: str, kwargs: dict[str, Any], rule: str, rule_class: str) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"rule": rule, "rule_class": rule_class}}


def without_captures(pattern: str) -> str:
    """The pattern with its groups made non-capturing: same matches, and GX's pandas engine
    (`str.contains`) warns about every capturing group."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


def _regex(column: str, regex: str, rule: str, rule_class: str) -> dict:
    return _expectation(
        "expect_column_values_to_match_regex",
        {"column": column, "regex": regex},
        rule,
        rule_class,
    )


def derive_suite(schema: dict[str, Any]) -> dict[str, Any]:
    fields = schema["fields"]
    expectations = [
        _expectation(
            "expect_table_row_count_to_be_between",
            {"min_value": 1},
            "rows_present",
            "blocking",
        ),
        _expectation(
            "expect_table_columns_to_match_set",
            {"column_set": [f["name"] for f in fields], "exact_match": False},
            "schema_columns_present",
            "blocking",
        ),
    ]
    primary_key = schema.get("primaryKey")
    for field in fields:
        name = field["name"]
        constraints = field.get("constraints", {})
        required = bool(constraints.get("required"))
        broken = "row_rejected" if required else "warning"
        if required:
            expectations.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    {"column": name},
                    f"{name}_required",
                    "row_rejected",
                )
            )
        if constraints.get("unique") or name == primary_key:
            expectations.append(
                _expectation(
                    "expect_column_values_to_be_unique",
                    {"column": name},
                    f"{name}_unique",
                    "row_rejected",
                )
            )
        if field.get("type") == "number":
            expectations.append(_regex(name, NUMBER, f"{name}_is_number", broken))
        if field.get("type") == "date":
            expectations.append(_regex(name, ISO_DATE, f"{name}_is_date", broken))
        if "pattern" in constraints:
            pattern = constraints["pattern"]
            rule = f"{name}_in_list" if enumeration(pattern) else f"{name}_pattern"
            anchored = f"^(?:{without_captures(pattern)})$"
            expectations.append(_regex(name, anchored, rule, broken))
        if "maxLength" in constraints:
            regex = rf"^[\s\S]{{0,{int(constraints['maxLength'])}}}$"
            expectations.append(_regex(name, regex, f"{name}_max_length", broken))
    return {
        "name": "mediation",
        "meta": {
            "description": (
                "Lieux de médiation numérique (transforms/mediation.py, parse_lieux), derived "
                f"from the Table Schema {schema.get('name')} {schema.get('version')} by "
                "expectations/mediation_schema.py: do not edit by hand."
            )
        },
        "expectations": expectations,
    }


def render(suite: dict[str, Any]) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    SUITE_FILE.write_text(render(derive_suite(table_schema())), encoding="utf-8")
    print(f"wrote {SUITE_FILE}")


if __name__ == "__main__":
    main()
