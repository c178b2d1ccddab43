"""Belgian license plates: lenient in what people type, one normalised form stored.

Accepted (case, spaces, dots and dashes do not matter):
- current format since 2010: digit, three letters, three digits: ``1abc234`` -> ``1-ABC-234``;
- 1973-2008 format: three letters, three digits: ``abc 123`` -> ``ABC-123``;
- its reversed variant (1971-1973): three digits, three letters: ``123abc`` -> ``123-ABC``.
Anything else is refused with a message that shows the expected shape.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-_/]+")
_FORMATS = (
    (re.compile(r"^([1-9])([A-Z]{3})(\d{3})$"), "{0}-{1}-{2}"),
    (re.compile(r"^([A-Z]{3})(\d{3})$"), "{0}-{1}"),
    (re.compile(r"^(\d{3})([A-Z]{3})$"), "{0}-{1}"),
)


class InvalidPlate(ValueError):
    pass


def normalise_plate(text: str) -> str:
    """The stored form of a plate typed as ``text``. Raises InvalidPlate (the pages say what shapes are expected)."""
    compact = _SEPARATORS.sub("", text.strip().upper())
    for pattern, shape in _FORMATS:
        match = pattern.match(compact)
        if match:
            return shape.format(*match.groups())
    raise InvalidPlate(text)
