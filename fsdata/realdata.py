"""The real public files bundled for the default run, and what each one is loaded as.

The files live gzip-compressed under `fsdata/data/` (provenance and licence in its README.md);
decompressed they are byte for byte the files their publishers released, which `sha256`
records. `BUNDLED` lists them in the order a run loads them: the espace listings oldest first
(same-day versions in publication order, so the later one replaces the earlier as the listing
of that day), then the communes, the baromètre (its four files form one load) and the
observatory edition. No Prefect here: the demo flow reads this declaration and calls the
ordinary ingest path with the source, date and options given.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from warehouse.archive import sha256_of

MAX_BUNDLE_BYTES = 5 * 1024 * 1024  # the whole folder, compressed, in the repository


@dataclass(frozen=True)
class BundledFile:
    """One bundled file. `path` is relative to `fsdata/data/`, without the `.gz` suffix."""

    path: str
    source: str  # the source it is ingested as (espaces, communes, barometre, observatoire…)
    sha256: str  # of the decompressed file: the publisher's bytes
    size: int  # bytes, decompressed
    as_of: date | None = None  # espaces, conseillers: the date of the data
    vintage: int | None = None  # communes: the population year
    edition: str | None = None  # observatoire: the edition's month, YYYY-MM
    options: dict[str, Any] = field(default_factory=dict)  # e.g. accept_row_count
    refused_by: str | None = None  # the blocking rule that refuses it, when it is refused
    note: str = ""

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def bundled_name(self) -> str:
        return f"{self.path}.gz"


_PUBLISHED = re.compile(r"_(\d{8})T(\d{4})_[0-9a-f]+\.geojson$")


def _history(name: str, sha256: str, size: int, **extra: Any) -> BundledFile:
    """A 2020 version, dated by the publication day in its name (`_<YYYYMMDD>T<HHMM>_<rev>`)."""
    match = _PUBLISHED.search(name)
    assert match, name
    day = date(int(match[1][:4]), int(match[1][4:6]), int(match[1][6:]))
    return BundledFile(f"espaces/history-2020/{name}", "espaces", sha256, size, day, **extra)


BUNDLED: tuple[BundledFile, ...] = (
    _history(
        "france_services_20200102T1846_b88c14a.geojson",
        "2319df1dd1c15b3e4d5a872c54447198c6dc24fcabc5a703fcdf3f11235ff66d", 366_996,
        refused_by="identifier_column_present",
        note="the first published version has no identifier column (no MATRICULE): refused",
    ),
    _history(
        "france_services_20200108T1231_3cf9fb6.geojson",
        "98dc047e8d8ab138f85e8524d65455a0e94094be47b9488f640505c54f637435", 618_722,
    ),
    _history(
        "france_services_20200109T1730_4e7c558.geojson",
        "c6d893c86caee926cb5cfbc21ee41d778425c9f2b553baf2661a7f700120badd", 634_373,
    ),
    _history(
        "france_services_20200110T1840_5278bad.geojson",
        "08440124e0d5a848d7e05591c2409ea64b13611308de67e316d53e8a8941df7d", 377_497,
    ),
    _history(
        "france_services_20200206T1243_2fe16df.geojson",
        "84ed06704b2a8a821a09833b0a2f1b1df6daad271f2df53cb053fc607e2e1954", 431_325,
    ),
    _history(
        "france_services_20200206T1719_fbe2109.geojson",
        "c9dfa2aff2c948fd4996f4cf1e899099a8bbc1c262613ecc10d3828e826abf3c", 406_984,
    ),
    _history(
        "france_services_20200310T1532_a249d68.geojson",
        "80115348415dcc8d7e5752aa10012b2bb4b8e8eb297b6a2b9e052fcf384ba807", 572_651,
    ),
    _history(
        "france_services_20200312T1153_145db60.geojson",
        "34a3b645d43570f9ece13675714b789601928f7fd694f9f020e183aedb3f25ef", 552_393,
    ),
    _history(
        "france_services_20200312T1205_6737411.geojson",
        "9ce927447944b65388ec95930be0e353a953a175b151a28fe27680fa9e451d59", 552_389,
    ),
    _history(
        "france_services_20200312T1930_737c766.geojson",
        "67d68fb12e8e3cb8623e7fb114f988424d9e382a52dfb046b2e8380213be29ca", 552_493,
    ),
    _history(
        "france_services_20200313T1147_87920eb.geojson",
        "2007f2707ae4bfead78df905d67dad26ead93e65bd2698ce7308ffc4f074d65c", 552_491,
    ),
    _history(
        "france_services_20200331T1546_bd31f6d.geojson",
        "f5733200da5f6dda43ad1f902e6fb708ac8dde4b5f71317585cf98250923254b", 553_915,
    ),
    _history(
        "france_services_20200603T1637_832aca4.geojson",
        "645003a013e20615d022e295956911839f63322ca79c7486bef26591d1e8b055", 553_915,
    ),
    _history(
        "france_services_20200603T1651_276eb1c.geojson",
        "4af56fd659dd1c9974fed1260f13aec88310da5814969b5ab9670e5e4835c9d5", 554_265,
    ),
    _history(
        "france_services_20200617T1123_df6f72d.geojson",
        "62cd72e2060078dc25a6031bfb9232ddb9a3b3a9b4eb0cead86a910ba98d709e", 554_262,
    ),
    _history(
        "france_services_20200902T1314_7a25454.geojson",
        "46ba1e67b9b0d88f0846d0b84770f9408e03dcdc417d4c37926e575632edadb4", 549_144,
    ),
    BundledFile(
        "espaces/france_services_20201012.geojson", "espaces",
        "ccf7895b026feec0cdef901669e59b5af93ef9fbf00fff11286bbe9003d38862", 849_145,
        as_of=date(2020, 10, 12),
        note="908 espaces: 856 « Espace labellisé » and 52 « Antenne »",
    ),
    BundledFile(
        "espaces/liste-fs-20240801.csv", "espaces",
        "6eabcb0792c8681af513e65560a7dea08e15d3e72b070a14ca1fed032164efad", 1_174_580,
        as_of=date(2024, 8, 1), options={"accept_row_count": True},
        note="2,845 espaces after 908: ×3.1, past the row-count guard, a real change",
    ),
    BundledFile(
        "communes/communes-2021.csv", "communes",
        "eea902add2d7ca05c4fc0f6ce3d28a331438b654d7654daf3ad87c5fd06e06ee", 2_390_349,
        vintage=2021, note="34,976 communes and arrondissements, 67,406,310 inhabitants",
    ),
    BundledFile(
        "barometre/barometre-resultats-detail-national.csv", "barometre",
        "684d5f38c6754a3e02a083b30dc010e096e943da6c9794edc8ff47f0a2e6de09", 240_179,
        note="every indicator of the baromètre, national; one load with the three files below",
    ),
    BundledFile(
        "barometre/barometre-resultats-detail-regional-france-services.csv", "barometre",
        "0dbd0c8a90ce5dc9476dc5dc93e92ce5b9c11db26fd3b02d437c2389d5615ee3", 130_584,
    ),
    BundledFile(
        "barometre/barometre-resultats-detail-departemental-france-services.csv", "barometre",
        "fd805e1ce2e10c8290b4f6a5fdb0e94ed79f15ad8e46b48ac1d021655e68e307", 716_237,
    ),
    BundledFile(
        "barometre/barometre-resultats-synthese-national.csv", "barometre",
        "fa616eca5f562d6148deece2728398d53fcffca63c11029c95bd09cd194f605d", 15_876,
        note="one row per indicator: the target (2,543 labellisations at 2022-12-31)",
    ),
    BundledFile(
        "observatoire/observatoire-2-edition-11-octobre-2025-.xlsx", "observatoire",
        "f52776059a1f8a317f6b7a3f0cf4d2868330f6a98ab4fe99bf843c46f2426330", 61_408,
        edition="2025-10", note="Observatoire 2, édition 11: 246 démarches",
    ),
    BundledFile(
        "conseillers-numeriques/cnfs-2021-06.json", "conseillers",
        "9c4e704cfc7c3527ef78f2d5d56e83d45a1b2f50ec27d488e76919da03e8668d", 1_224_898,
        as_of=date(2021, 6, 25),
        note="1,450 host structures, 2,138 conseillers numériques (ANCT's map, 2021-06-25)",
    ),
)  # fmt: skip
BY_NAME = {f.name: f for f in BUNDLED}


def data_dir() -> Path:
    """The folder of the bundled files (`fsdata/data`)."""
    return Path(str(resources.files("fsdata").joinpath("data")))


def files(source: str | None = None) -> tuple[BundledFile, ...]:
    """The bundled files of one source (all when None), in load order."""
    return tuple(f for f in BUNDLED if source is None or f.source == source)


def _entry(item: BundledFile | str) -> BundledFile:
    if isinstance(item, BundledFile):
        return item
    if item not in BY_NAME:
        raise KeyError(f"no bundled file named {item!r} (known: {', '.join(BY_NAME)})")
    return BY_NAME[item]


def extract(item: BundledFile | str, folder: Path) -> Path:
    """Decompress one bundled file into `folder` under its published name; its path.

    The bytes are checked against the declared SHA-256 before the file appears (written to a
    temporary name, then renamed), so a damaged bundle never yields a plausible file. A file
    already there with the right size and checksum is reused.
    """
    entry = _entry(item)
    target = Path(folder) / entry.name
    if (
        target.is_file()
        and target.stat().st_size == entry.size
        and sha256_of(target) == entry.sha256
    ):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with (
            gzip.open(data_dir() / entry.bundled_name, "rb") as packed,
            temporary.open("wb") as out,
        ):
            for chunk in iter(lambda: packed.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != entry.sha256:
            raise ValueError(
                f"{entry.bundled_name}: rule bundle_checksum failed: decompressed SHA-256 "
                f"{digest.hexdigest()} is not the declared {entry.sha256}"
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def bundle_from(source_dir: Path, target_dir: Path | None = None) -> list[Path]:
    """(Re)write the bundle from a copy of the published files laid out as `BUNDLED` says
    (`../shared/data`): each checked against its declared SHA-256, gzip level 9 with no name
    or time in the header, so the same file always gives the same bytes."""
    written = []
    for entry in BUNDLED:
        source = Path(source_dir) / entry.path
        if sha256_of(source) != entry.sha256:
            raise ValueError(f"{source}: not the declared file (SHA-256 differs)")
        target = Path(target_dir or data_dir()) / entry.bundled_name
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            source.open("rb") as raw,
            target.open("wb") as out,
            gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as z,
        ):
            shutil.copyfileobj(raw, z)
        written.append(target)
    return written


if __name__ == "__main__":  # python -m fsdata.realdata ../shared/data
    import sys

    for path in bundle_from(Path(sys.argv[1])):
        print(path)
