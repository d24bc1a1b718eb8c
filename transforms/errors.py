"""Errors raised while reading a source file: each names the file, the place and the rule."""

from __future__ import annotations


class SourceFormatError(ValueError):
    """A file that cannot become a canonical frame: the load is refused (a *blocking* rule).

    `rule` is the name of the broken rule as it appears in validation results and `meta.loads`;
    `column` / `row` point at the offending place when there is one.
    """

    def __init__(
        self,
        file: str,
        rule: str,
        detail: str,
        *,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.file = file
        self.rule = rule
        self.detail = detail
        self.column = column
        self.row = row
        where = []
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        place = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{file}: rule {rule} failed{place}: {detail}")
