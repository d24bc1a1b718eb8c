"""Run a Great Expectations suite kept as JSON in `expectations/` on a polars frame.

Each expectation carries `meta.rule` (the rule's name in results, messages and quarantine) and
`meta.rule_class`, one of:

- `blocking`: the file is refused, nothing is published;
- `row_rejected`: the unexpected rows are quarantined under the rule's name, the rest loads;
- `warning`: the unexpected rows load, flagged with the rule's name, and are counted.

Suite parameters (`{"$PARAMETER": "min_rows"}`) are filled at run time, e.g. the row-count guard
computed from the last published snapshot. GX is imported lazily: it costs seconds to import.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import polars as pl

RULE_CLASSES = ("blocking", "row_rejected", "warning")


@dataclass(frozen=True)
class RuleResult:
    rule: str
    rule_class: str
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int
    unexpected_rows: tuple[int, ...] = ()
    observed_value: Any = None
    detail: str = ""
    # Why each unexpected row broke the rule, in the order of `unexpected_rows` (optional).
    notes: tuple[str, ...] = ()

    def message(self) -> str:
        if self.detail:
            return f"{self.rule}: {self.detail}"
        target = f" on column {self.column!r}" if self.column else ""
        if self.unexpected_count:
            return f"{self.rule}{target}: {self.unexpected_count} row(s) break the rule"
        return f"{self.rule}{target}: observed {self.observed_value!r}"


@dataclass
class ValidationOutcome:
    suite: str
    results: list[RuleResult]
    document: dict[str, Any] = field(default_factory=dict)

    def failures(self, rule_class: str) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.rule_class == rule_class]

    @property
    def blocking_failed(self) -> bool:
        return bool(self.failures("blocking"))

    def rows_by_rule(self, rule_class: str) -> dict[str, list[int]]:
        """Row positions (0-based, in the validated frame) per failed rule of that class."""
        rows: dict[str, list[int]] = {}
        for result in self.failures(rule_class):
            rows.setdefault(result.rule, []).extend(result.unexpected_rows)
        return rows

    def summary(self) -> str:
        broken = [r.message() for r in self.results if not r.success]
        return "; ".join(broken) if broken else "all rules passed"

    def as_rows(self) -> list[dict[str, Any]]:
        """Each rule's outcome as a row of meta.validation_results."""
        return [
            {
                "rule": r.rule,
                "rule_class": r.rule_class,
                "expectation": r.expectation,
                "column": r.column,
                "success": r.success,
                "unexpected_count": r.unexpected_count,
                "observed_value": r.observed_value,
                "message": r.message(),
            }
            for r in self.results
        ]

    def with_results(self, extra: list[RuleResult]) -> ValidationOutcome:
        """This outcome and rules evaluated outside the suite (against the warehouse, across
        files), in the results and in the saved document (under `meta`: a GX result document
        holds only the suite's own expectations)."""
        document = dict(self.document)
        document["meta"] = dict(document.get("meta") or {})
        document["meta"]["rules_outside_the_suite"] = [
            {k: v for k, v in r.__dict__.items() if k != "unexpected_rows"} for r in extra
        ]
        document["success"] = bool(document.get("success", True)) and all(r.success for r in extra)
        return ValidationOutcome(self.suite, [*self.results, *extra], document)


@dataclass
class RowSplit:
    """A validated frame split by rule class: rows kept (with the warning rules each broke in
    `quality_flags`, sorted) and rows quarantined (one item per row and rule broken)."""

    accepted: Any  # the kept frame (or, for a source of several frames, what it writes)
    quarantined: list[dict[str, Any]]
    rows_quarantined: int
    rows_warned: int
    warnings: dict[str, int]
    rows_read: int
    rows_loaded: int


def split_rows(
    frame: pl.DataFrame, outcome: ValidationOutcome, drop: tuple[str, ...] = ()
) -> RowSplit:
    """Split `frame` by `outcome`: `row_rejected` rows go to quarantine (their record without
    the `drop` columns, plus the rule's note for that row as `reason` when it has one), the
    others are kept with their `warning` rules as `quality_flags`."""
    positions = frame.with_row_index("position")
    rejected: dict[int, list[tuple[str, str | None]]] = {}
    flags: dict[int, set[str]] = {}
    for result in outcome.failures("row_rejected"):
        notes = result.notes or (None,) * len(result.unexpected_rows)
        for row, note in zip(result.unexpected_rows, notes, strict=True):
            rejected.setdefault(row, []).append((result.rule, note))
    warned: dict[str, set[int]] = {}  # a rule may be several expectations (one per column)
    for result in outcome.failures("warning"):
        warned.setdefault(result.rule, set()).update(result.unexpected_rows)
        for row in result.unexpected_rows:
            flags.setdefault(row, set()).add(result.rule)
    warnings = {rule: len(rows) for rule, rows in warned.items()}
    quarantined = []
    if rejected:
        records = positions.filter(pl.col("position").is_in(list(rejected))).drop(*drop)
        for record in records.to_dicts():
            row = record.pop("position")
            for rule, note in rejected[row]:
                item = record | ({"reason": note} if note else {})
                quarantined.append({"source_row": record.get("source_row"), "rule": rule,
                                    "record": item})  # fmt: skip
    flag_frame = pl.DataFrame(
        {
            "position": list(flags),
            "quality_flags": [sorted(rules) for rules in flags.values()],
        },
        schema={"position": pl.UInt32, "quality_flags": pl.List(pl.String)},
    )
    no_flags = pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags")
    kept = positions.filter(~pl.col("position").is_in(list(rejected))) if rejected else positions
    if flags:
        accepted = (
            kept.join(flag_frame, on="position", how="left", maintain_order="left")
            .with_columns(pl.col("quality_flags").fill_null(no_flags))
            .drop("position")
        )
    else:  # the usual large feed: no row flagged, no copy of the frame through a join
        accepted = kept.drop("position").with_columns(no_flags)
    return RowSplit(
        accepted=accepted,
        quarantined=quarantined,
        rows_quarantined=len(rejected),
        rows_warned=len(set(flags) - set(rejected)),
        warnings=warnings,
        rows_read=frame.height,
        rows_loaded=accepted.height,
    )


def load_suite(suite_name: str) -> dict[str, Any]:
    text = resources.files("expectations").joinpath(f"{suite_name}.json").read_text("utf-8")
    suite = json.loads(text)
    for expectation in suite["expectations"]:
        meta = expectation.get("meta", {})
        if meta.get("rule_class") not in RULE_CLASSES or not meta.get("rule"):
            raise ValueError(
                f"expectations/{suite_name}.json: {expectation['type']} needs meta.rule and "
                f"meta.rule_class in {RULE_CLASSES}"
            )
    return suite


def refusal(suite_name: str, rule: str, detail: str) -> ValidationOutcome:
    """The outcome of a file refused before GX could see it (unreadable, a column missing)."""
    result = RuleResult(
        rule=rule,
        rule_class="blocking",
        expectation="file_structure",
        column=None,
        success=False,
        unexpected_count=0,
        detail=detail,
    )
    document = {"suite": suite_name, "success": False, "results": [result.__dict__]}
    return ValidationOutcome(suite=suite_name, results=[result], document=document)


_definitions: dict[str, Any] = {}


def _definition(suite_name: str) -> Any:
    """The suite's GX validation definition, built once per process: building a context and
    registering a suite costs more than validating a listing."""
    if suite_name in _definitions:
        return _definitions[suite_name]
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(gx.ExpectationSuite(**load_suite(suite_name)))
    batch_definition = (
        context.data_sources.add_pandas("frame")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
    )
    _definitions[suite_name] = definition
    return definition


# A suite every expectation of which has an SQL translation is evaluated by DuckDB from the
# same JSON (expectations/sql_engine.py, parity with GX tested rule by rule) at any size: GX
# costs seconds to import and build a context in each process — more than the whole rest of
# the load of a real listing — and a pandas copy of the frame (benchmarks/RESULTS.md). GX runs
# the suites the engine cannot translate, and any suite asked with `engine="gx"`.
SQL_ENGINE_MIN_ROWS = 0


def validate(
    frame: pl.DataFrame,
    suite_name: str,
    parameters: dict[str, Any] | None = None,
    engine: str = "auto",
) -> ValidationOutcome:
    """Validate `frame` with the suite; row positions in results index into `frame`.

    `engine` is `gx`, `duckdb` or `auto` (DuckDB for frames of SQL_ENGINE_MIN_ROWS rows or more
    when every expectation of the suite has an SQL translation, else GX).
    """
    from expectations import sql_engine

    suite = load_suite(suite_name)
    missing = sorted(
        {
            column
            for e in suite["expectations"]
            if e["type"] != "expect_column_to_exist"
            for column in [e["kwargs"].get("column"), *e["kwargs"].get("column_list", [])]
            if column is not None and column not in frame.columns
        }
    )
    if missing:
        # A programming error, not bad data: the frame is not what the suite was written for.
        raise ValueError(f"suite {suite_name}: the frame has no column {missing}")
    if engine == "auto":
        large = frame.height >= SQL_ENGINE_MIN_ROWS
        engine = "duckdb" if large and sql_engine.supports(suite) else "gx"
    if engine == "duckdb":
        return _validate_with_duckdb(frame, suite, parameters or {})
    return _validate_with_gx(frame, suite_name, parameters or {})


def _validate_with_duckdb(
    frame: pl.DataFrame, suite: dict[str, Any], parameters: dict[str, Any]
) -> ValidationOutcome:
    from expectations import sql_engine

    results, documents = [], []
    for expectation, outcome in zip(
        suite["expectations"], sql_engine.evaluate(frame, suite, parameters), strict=True
    ):
        kwargs = sql_engine.resolve(expectation["kwargs"], parameters)
        rows = outcome["rows"]
        results.append(
            RuleResult(
                rule=expectation["meta"]["rule"],
                rule_class=expectation["meta"]["rule_class"],
                expectation=expectation["type"],
                column=kwargs.get("column"),
                success=outcome["success"],
                unexpected_count=len(rows),
                unexpected_rows=tuple(rows),
                observed_value=outcome["observed_value"],
            )
        )
        documents.append(
            {
                "success": outcome["success"],
                "expectation_config": {
                    "type": expectation["type"],
                    "kwargs": kwargs,
                    "meta": expectation["meta"],
                },
                "result": {  # the keys GX's Data Docs render
                    "element_count": frame.height,
                    "unexpected_count": len(rows),
                    "unexpected_percent": 100.0 * len(rows) / frame.height if frame.height else 0.0,
                    "unexpected_percent_nonmissing": (
                        100.0 * len(rows) / frame.height if frame.height else 0.0
                    ),
                    "missing_count": 0,
                    "missing_percent": 0.0,
                    "partial_unexpected_list": [],
                    "observed_value": outcome["observed_value"],
                },
            }
        )
    document = {
        "suite_name": suite["name"],
        "engine": "duckdb",
        "success": all(r.success for r in results),
        "results": documents,
        "statistics": {
            "evaluated_expectations": len(results),
            "successful_expectations": sum(r.success for r in results),
        },
    }
    return ValidationOutcome(suite=suite["name"], results=results, document=document)


def _validate_with_gx(
    frame: pl.DataFrame, suite_name: str, parameters: dict[str, Any]
) -> ValidationOutcome:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    definition = _definition(suite_name)
    run = definition.run(
        batch_parameters={"dataframe": frame.to_pandas()},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE", "include_unexpected_rows": False},
    )
    results = []
    for item in run.results:
        config = item.expectation_config
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"suite {suite_name}: {config.type} could not run: "
                f"{item.exception_info.get('exception_message')}"
            )
        outcome = item.result or {}
        results.append(
            RuleResult(
                rule=config.meta["rule"],
                rule_class=config.meta["rule_class"],
                expectation=config.type,
                column=config.kwargs.get("column"),
                success=bool(item.success),
                unexpected_count=int(outcome.get("unexpected_count") or 0),
                unexpected_rows=tuple(int(i) for i in outcome.get("unexpected_index_list") or ()),
                observed_value=outcome.get("observed_value"),
            )
        )
    document = run.to_json_dict()
    document["engine"] = "gx"
    for item in document.get("results", []):
        # Row lists can be huge; the rows themselves go to quarantine/flags instead.
        for key in ("unexpected_index_list", "unexpected_list", "partial_unexpected_index_list"):
            item.get("result", {}).pop(key, None)
    return ValidationOutcome(suite=suite_name, results=results, document=document)


def values_known(
    frame: pl.DataFrame, column: str, known: set[str], rule: str, rule_class: str = "blocking"
) -> RuleResult:
    """Each non-null value of `column` is one of `known` (a rule across two frames, such as
    a service naming a partner of the same catalogue: a suite sees one frame at a time)."""
    unknown = frame.with_row_index("position").filter(
        pl.col(column).is_not_null() & ~pl.col(column).is_in(list(known))
    )
    values = sorted(set(unknown[column].to_list()))
    return RuleResult(
        rule=rule,
        rule_class=rule_class,
        expectation="values_known",
        column=column,
        success=unknown.height == 0,
        unexpected_count=unknown.height,
        unexpected_rows=tuple(int(p) for p in unknown["position"]),
        detail=f"unknown values of {column}: {', '.join(values)}" if values else "",
    )
