"""A démarche's identity across editions: administrations, renames, titles and stable keys."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from transforms.observatoire.editions import Edition
from transforms.observatoire.reading import EditionTable
from transforms.readers import normalise_header

REFERENCE_DIR = Path(__file__).parent.parent / "reference"


def split_user_categories(text: str | None) -> list[str]:
    """ "Particuliers ; Professionnels;" → ["Particuliers", "Professionnels"] (order kept)."""
    if text is None:
        return []
    seen: list[str] = []
    for part in text.split(";"):
        value = " ".join(part.split())
        if value and value not in seen:
            seen.append(value)
    return seen


@dataclass(frozen=True)
class Administration:
    administration_id: str
    name: str
    ministry: str
    aliases: tuple[str, ...]


def _admin_key(text: str) -> str:
    key = normalise_header(text.replace("\u2019", "'"))
    return re.sub(r"^(l|la|le|les)_", "", key)


@cache
def administrations() -> tuple[Administration, ...]:
    """The reference table `transforms/reference/administrations.csv`."""
    path = REFERENCE_DIR / "administrations.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Administration(
                administration_id=row["administration_id"].strip(),
                name=row["name"].strip(),
                ministry=row["ministry"].strip(),
                aliases=tuple(a.strip() for a in row["aliases"].split("|") if a.strip()),
            )
            for row in csv.DictReader(handle)
        )


@cache
def _administration_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for admin in administrations():
        for name in (admin.administration_id, admin.name, *admin.aliases):
            index.setdefault(_admin_key(name), admin.administration_id)
    return index


def normalise_administration(name: str | None) -> str | None:
    """The `administration_id` of an administration name or alias; None when unknown.

    Matching is exact after normalisation (case, accents, punctuation, a leading article); a
    name with a parenthesis ("Assurance Maladie (CNAM)") is also tried without it and by its
    content. Nothing is guessed: an unlisted name gives None.
    """
    if name is None or not name.strip():
        return None
    index = _administration_index()
    candidates = [name]
    if match := re.match(r"^(.*?)\((.*?)\)(.*)$", name):
        candidates += [match.group(1) + match.group(3), match.group(2)]
    candidates += [part for part in re.split(r"\s+[-–—/]\s+", name) if part != name]
    for candidate in candidates:
        found = index.get(_admin_key(candidate))
        if found:
            return found
    return None


def normalise_title(title: str) -> str:
    """The form titles are compared in: accents, case, punctuation and spacing dropped."""
    return normalise_header(title.replace("\u2019", "'"))


@dataclass(frozen=True)
class Rename:
    from_title: str
    to_title: str
    administration: str | None
    note: str = ""


def load_renames(path: Path | None = None) -> tuple[Rename, ...]:
    """The rename table (from_title, to_title, administration, note); default: the shipped one."""
    path = path or REFERENCE_DIR / "demarche_renames.csv"
    if not path.exists():
        return ()
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Rename(
                from_title=row["from_title"].strip(),
                to_title=row["to_title"].strip(),
                administration=(row.get("administration") or "").strip() or None,
                note=(row.get("note") or "").strip(),
            )
            for row in csv.DictReader(handle)
        )


def _admin_part(administration: str | None) -> str:
    if administration is None or not administration.strip():
        return "inconnue"
    return normalise_administration(administration) or _admin_key(administration)


def _rename_applies(rename: Rename, admin_part: str) -> bool:
    return rename.administration is None or _admin_part(rename.administration) == admin_part


def title_aliases(
    title: str, administration: str | None, renames: Iterable[Rename] = ()
) -> list[str]:
    """Every normalised title the démarche has had, the oldest first.

    Follows the rename table backwards (to_title → from_title) to the oldest title, then
    forwards, within the same administration (or renames listed without administration).
    """
    admin = _admin_part(administration)
    applicable = [r for r in renames if _rename_applies(r, admin)]
    backwards = {normalise_title(r.to_title): normalise_title(r.from_title) for r in applicable}
    forwards: dict[str, list[str]] = {}
    for r in applicable:
        forwards.setdefault(normalise_title(r.from_title), []).append(normalise_title(r.to_title))
    oldest = normalise_title(title)
    seen = {oldest}
    while oldest in backwards and backwards[oldest] not in seen:
        oldest = backwards[oldest]
        seen.add(oldest)
    ordered = [oldest]
    queue = [oldest]
    while queue:
        for newer in forwards.get(queue.pop(0), []):
            if newer not in ordered:
                ordered.append(newer)
                queue.append(newer)
    if normalise_title(title) not in ordered:
        ordered.append(normalise_title(title))
    return ordered


def _clean_id(source_demarche_id: str | None) -> str | None:
    if source_demarche_id is None:
        return None
    text = source_demarche_id.strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text or None


def demarche_key(
    source_demarche_id: str | None,
    title: str | None,
    administration: str | None,
    *,
    renames: Iterable[Rename] = (),
    known_ids: Mapping[tuple[str, str], str] | None = None,
    edition_id: str | None = None,
) -> str:
    """The stable key of a démarche across editions.

    1. The source's own identifier when the edition has one: `id:<ID_Demarche>`.
    2. Else an identifier known for that title: `known_ids` maps (edition_id, title) → ID, with
       "*" as edition for "any edition" (build it with `known_ids_from`); every title the
       démarche has had through the rename table is tried, the given edition first.
    3. Else `t:<oldest normalised title>@<administration>`: the title as first known through the
       rename table (`transforms/reference/demarche_renames.csv`), normalised by
       `normalise_title`, and the administration's reference id, or its normalised name when it
       is not in the reference table ("inconnue" when empty). A rename thus keeps the key of the
       first title; a rename not listed in the table starts a new key.
    """
    cleaned = _clean_id(source_demarche_id)
    if cleaned:
        return f"id:{cleaned}"
    if title is None or not normalise_title(title):
        raise ValueError("a démarche without identifier needs a title")
    aliases = title_aliases(title, administration, renames)
    if known_ids:
        normalised = normalise_known_ids(known_ids)
        for edition in (edition_id, "*"):
            for alias in [normalise_title(title), *aliases]:
                found = normalised.get((edition or "*", alias))
                if found:
                    return f"id:{_clean_id(found)}"
    return f"t:{aliases[0]}@{_admin_part(administration)}"


class _NormalisedIds(dict[tuple[str, str], str]):
    """A `known_ids` mapping whose titles are already normalised (built once per edition)."""


def normalise_known_ids(known_ids: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """`known_ids` with titles in `normalise_title` form (idempotent, cheap when already done)."""
    if isinstance(known_ids, _NormalisedIds):
        return known_ids
    return _NormalisedIds(
        ((edition, normalise_title(title)), identifier)
        for (edition, title), identifier in known_ids.items()
    )


def known_ids_from(table: EditionTable) -> dict[tuple[str, str], str]:
    """("*", title) → source ID for the titles of an edition carrying IDs (unique titles only)."""
    frame = table.frame.filter(
        pl.col("source_demarche_id").is_not_null() & pl.col("title").is_not_null()
    )
    counts: dict[str, int] = {}
    for title in frame["title"].to_list():
        counts[normalise_title(title)] = counts.get(normalise_title(title), 0) + 1
    return {
        ("*", title): str(_clean_id(identifier))
        for title, identifier in zip(
            frame["title"].to_list(), frame["source_demarche_id"].to_list(), strict=True
        )
        if counts[normalise_title(title)] == 1
    }


def demarches(
    table: EditionTable,
    edition: Edition | str,
    *,
    renames: Iterable[Rename] | None = None,
    known_ids: Mapping[tuple[str, str], str] | None = None,
) -> pl.DataFrame:
    """The per-démarche frame of an edition (what `expectations/observatoire.json` checks).

    Columns: `edition_id, source_row, demarche_key, source_demarche_id, title, ministry,
    administration, administration_id (null when unknown), perimeter, user_categories
    (list of text, split on ";"), url, extra`. `renames` defaults to the shipped rename table.
    """
    edition_id = edition.edition_id if isinstance(edition, Edition) else edition
    rename_rows = tuple(load_renames() if renames is None else renames)
    if known_ids:
        known_ids = normalise_known_ids(known_ids)
    frame = table.frame
    keys = [
        demarche_key(
            identifier,
            title,
            admin,
            renames=rename_rows,
            known_ids=known_ids,
            edition_id=edition_id,
        )
        if identifier or (title and normalise_title(title))
        else None
        for identifier, title, admin in zip(
            frame["source_demarche_id"].to_list(),
            frame["title"].to_list(),
            frame["administration"].to_list(),
            strict=True,
        )
    ]
    admin_ids = [normalise_administration(a) for a in frame["administration"].to_list()]
    categories = [split_user_categories(c) for c in frame["user_categories"].to_list()]
    return pl.DataFrame(
        {
            "edition_id": [edition_id] * frame.height,
            "source_row": frame["source_row"],
            "demarche_key": pl.Series(keys, dtype=pl.Utf8),
            "source_demarche_id": frame["source_demarche_id"],
            "title": frame["title"],
            "ministry": frame["ministry"],
            "administration": frame["administration"],
            "administration_id": pl.Series(admin_ids, dtype=pl.Utf8),
            "perimeter": frame["perimeter"],
            "user_categories": pl.Series(categories, dtype=pl.List(pl.Utf8)),
            "url": frame["url"],
            "extra": frame["extra"],
        }
    )
