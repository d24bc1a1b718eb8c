"""Opening hours in one notation, so that a change of notation between eras of the listing is
not taken for a change of hours."""

from __future__ import annotations

import re

from transforms.readers import normalise_header

# What stands for "closed" or "not given" (normalised as headers are).
_NO_VALUE = {"", "-", "–", "—", "nc", "n_c", "na", "null", "none", "horaires_non_communiques"}
_TIME = re.compile(r"(\d{1,2})\s*(?:[hH:]\s*(\d{2})?|(?=\s*[-–/]))")
_HOURS_SEPARATORS = re.compile(r"^[\s\-–—/,;à]*$|^[\s\-–—/,;à]*(et[\s\-–—/,;à]*)*$")


def normalise_hours(value: str | None) -> str | None:
    """Opening hours in one notation: `"9h - 12h / 14h – 17h"` → `"09:00 - 12:00 / 14:00 - 17:00"`.

    Text that is not only time ranges (`"Sur rendez-vous"`) is kept as written, spaces tidied;
    closed or unknown (`"-"`, `"Horaires non communiqués"`, empty) is null.
    """
    if value is None:
        return None
    text = re.sub(r"\s+", " ", value).strip()
    if normalise_header(text) in _NO_VALUE:
        return None
    times = [(int(m[1]), int(m[2] or 0)) for m in _TIME.finditer(text)]
    remainder = _TIME.sub(" ", text)
    if (
        times
        and len(times) % 2 == 0
        and _HOURS_SEPARATORS.match(remainder)
        and all(h < 24 and m < 60 for h, m in times)
    ):
        ranges = [
            f"{a[0]:02d}:{a[1]:02d} - {b[0]:02d}:{b[1]:02d}"
            for a, b in zip(times[::2], times[1::2], strict=True)
        ]
        return " / ".join(ranges)
    return text
