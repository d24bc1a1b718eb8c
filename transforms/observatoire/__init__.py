"""The démarches observatory ("Vos démarches essentielles", DINUM): read and decode one edition.

One edition is one spreadsheet (CSV, XLSX or ODS; first sheet), one row per démarche, scored on a
set of indicators. Headers were renamed between editions and values are written in many ways
("7,8 / 10", "45 %", 0.45, "À venir", "08/04/2022 (périmée)"). Modules by job:

- `editions`: which edition a file is (`edition_from_name`, `edition_from_id` → `Edition`);
- `reading`: `read_edition(path)` → `EditionTable`, one row per démarche, every cell as text,
  source headers mapped to canonical columns through `COLUMN_ALIASES`, unknown columns in `extra`;
- `indicators`: the vocabulary (`INDICATORS`: kind, unit, meaning) and the label table
  `transforms/reference/observatoire_labels.csv` (every written label of a coded value or of a
  missing value, e.g. « Non conforme » → non_conforme / red, « À venir » → a_venir): an edition
  bringing a new label loads, its cells quarantined, until the label is described there;
- `decoding`: `decode_indicators(table, edition_id)` → one row per démarche × indicator, typed
  and levelled;
- `identity`: `demarches(table, edition)` → the per-démarche frame with a stable `demarche_key`
  and the administration resolved against `transforms/reference/administrations.csv`;
- `parse`: `parse_edition(path, edition, renames)` → `ParsedEdition`, all of the above at once.

Pure functions: the only I/O is reading the named file and the small reference CSVs shipped in
`transforms/reference/`.
"""

from transforms.observatoire.decoding import (
    Decoded,
    decode_indicators,
    decode_value,
    null_reason,
    parse_number,
    percent_scale,
    split_percent,
)
from transforms.observatoire.editions import (
    MONTH_LABELS,
    MONTHS,
    V2_FIRST_EDITION,
    Edition,
    data_period,
    edition_from_id,
    edition_from_name,
    edition_named,
)
from transforms.observatoire.identity import (
    REFERENCE_DIR,
    Administration,
    Rename,
    administrations,
    demarche_key,
    demarches,
    known_ids_from,
    load_renames,
    normalise_administration,
    normalise_known_ids,
    normalise_title,
    split_user_categories,
    title_aliases,
)
from transforms.observatoire.indicators import (
    DECODED_SCHEMA,
    INDICATOR_COLUMNS,
    INDICATORS,
    LABELS_FILE,
    LEVELS,
    NULL_REASONS,
    STATUS_CODES,
    Indicator,
    Label,
    label_key,
    labels,
    read_labels,
)
from transforms.observatoire.parse import (
    SUITE_PARAMETERS,
    ParsedEdition,
    UnknownLabel,
    describe_unknown_labels,
    parse_edition,
    unknown_labels,
)
from transforms.observatoire.reading import (
    CANONICAL_COLUMNS,
    COLUMN_ALIASES,
    COLUMN_PREFIX_ALIASES,
    HEADER_MIN_MATCHES,
    HEADER_SEARCH_ROWS,
    IDENTITY_COLUMNS,
    EditionTable,
    canonical_column,
    read_edition,
    read_rows,
    read_sheet,
    render_cell,
)

__all__ = [
    "CANONICAL_COLUMNS",
    "COLUMN_ALIASES",
    "COLUMN_PREFIX_ALIASES",
    "DECODED_SCHEMA",
    "HEADER_MIN_MATCHES",
    "HEADER_SEARCH_ROWS",
    "IDENTITY_COLUMNS",
    "INDICATORS",
    "INDICATOR_COLUMNS",
    "LABELS_FILE",
    "LEVELS",
    "MONTHS",
    "MONTH_LABELS",
    "NULL_REASONS",
    "REFERENCE_DIR",
    "STATUS_CODES",
    "SUITE_PARAMETERS",
    "V2_FIRST_EDITION",
    "Administration",
    "Decoded",
    "Edition",
    "EditionTable",
    "Indicator",
    "Label",
    "ParsedEdition",
    "Rename",
    "UnknownLabel",
    "administrations",
    "canonical_column",
    "data_period",
    "decode_indicators",
    "decode_value",
    "demarche_key",
    "demarches",
    "describe_unknown_labels",
    "edition_from_id",
    "edition_from_name",
    "edition_named",
    "known_ids_from",
    "label_key",
    "labels",
    "load_renames",
    "normalise_administration",
    "normalise_known_ids",
    "normalise_title",
    "null_reason",
    "parse_edition",
    "parse_number",
    "percent_scale",
    "read_edition",
    "read_labels",
    "read_rows",
    "read_sheet",
    "render_cell",
    "split_percent",
    "split_user_categories",
    "title_aliases",
    "unknown_labels",
]
