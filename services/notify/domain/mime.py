"""Our three MIME shapes written directly: the bytes ``EmailMessage`` + ``as_bytes(policy=SMTP)`` would make.

``mail.build_email`` + ``mail.flatten`` (the standard library's ``email`` package) cost ~8 ms of CPU per mail,
almost all of it parsing every header into a tree and folding it back (the part headers are the same in every
mail). A notification is always one of three shapes — text + HTML alternatives, optionally in a
``multipart/mixed`` with the ``.ics`` attached — so ``flatten_fast`` writes that shape itself:

- the bodies are encoded by the standard library's own choice (``email.contentmanager._encode_text``: 7bit,
  8bit, quoted-printable or base64, as ``set_content`` picks it) and the ``.ics`` by its base64 encoder;
- a header whose value is simple ASCII that fits on one line is written as is (what the policy's folding gives
  for it); any other goes through the policy's own parse and fold; the part headers are constants;
- anything outside that (extra headers, a method other than REQUEST/CANCEL/PUBLISH, a boundary that occurs in
  the text) returns None and the caller uses the standard library.

``tests/unit/test_notify_mime.py`` holds the output equal, byte for byte up to the random boundaries, to the
standard library's for every template in both languages and for generated subjects, addresses and bodies.
"""

from __future__ import annotations

import random
import re
import sys
from email import policy
from email.contentmanager import _encode_base64, _encode_text  # type: ignore[attr-defined]
from functools import lru_cache

NL = "\r\n"
MAX_LINE: int = policy.default.max_line_length or 78  # as the message is built with policy.default
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
_LINES = re.compile(r"\r\n|\r|\n")  # as email.generator's NLCRE
# Values the policy writes back unchanged when they fit on one line (tested against it): printable ASCII,
# single spaces, no encoded word.
_SIMPLE = re.compile(r"[!-~]+(?: [!-~]+)*")
_ADDRESS = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_BOUNDARY_WIDTH = len(repr(sys.maxsize - 1))  # email.generator's _width
_PLACEHOLDER = "=" * 15 + "9" * _BOUNDARY_WIDTH + "=="


def _bytes(text: str) -> bytes:
    # headers were decoded from the policy's bytes, 8bit bodies carry their bytes as surrogates: both come back
    return text.encode("utf-8", "surrogateescape")


def _folded(name: str, value: str, utf8: bool) -> str:
    """The header line as the policy writes it (parse into its header class, then fold). Raises ValueError for
    a value that cannot be a header (a line break), as ``EmailMessage`` does."""
    parsed = policy.default.header_store_parse(name, value)[1]
    out = policy.SMTPUTF8 if utf8 else policy.SMTP
    return out.fold_binary(name, parsed).decode("utf-8", "surrogateescape")


def is_plain_address(address: str) -> bool:
    """An address the policy renders back unchanged (so it is its own envelope address)."""
    return _ADDRESS.fullmatch(address) is not None


@lru_cache(maxsize=32)
def rendered(name: str, value: str) -> str:
    """``str(email[name])`` after ``email[name] = value``: what ``flatten`` takes the envelope addresses from."""
    return str(policy.default.header_store_parse(name, value)[1])


def header(name: str, value: str, utf8: bool, address: bool = False) -> str:
    if (
        len(name) + 2 + len(value) <= MAX_LINE
        and "=?" not in value
        and (_ADDRESS if address else _SIMPLE).fullmatch(value)
    ):
        return f"{name}: {value}{NL}"
    return _folded(name, value, utf8)


@lru_cache(maxsize=32)
def _constant(name: str, value: str) -> str:
    return _folded(name, value, utf8=False)


def _with_boundary(subtype: str, boundary: str) -> str:
    # The fold depends only on the lengths, and every boundary made here has the placeholder's length.
    return _constant("Content-Type", f'multipart/{subtype}; boundary="{_PLACEHOLDER}"').replace(_PLACEHOLDER, boundary)


def _boundary() -> str:
    return "=" * 15 + f"%0{_BOUNDARY_WIDTH}d" % random.randrange(sys.maxsize) + "=="


def _lines(payload: str) -> str:
    """As the generator writes a part's payload: every line ending in CRLF (the last only if it ended)."""
    parts = _LINES.split(payload)
    return NL.join(parts)


def _text_part(subtype: str, body: str, mime_version: bool) -> str:
    cte, payload = _encode_text(body, "utf-8", None, policy.default)
    head = f'Content-Type: text/{subtype}; charset="utf-8"{NL}Content-Transfer-Encoding: {cte}{NL}'
    if mime_version:  # add_alternative leaves one on the part it made
        head += f"MIME-Version: 1.0{NL}"
    return head + NL + _lines(payload)


def _multipart(subtype: str, parts: list[str], headers: str) -> tuple[str, str] | None:
    """(the headers with Content-Type, the body) of a multipart, or None if the boundary occurs in a part."""
    boundary = _boundary()
    if any(f"--{boundary}" in part for part in parts):
        return None  # the generator would pick another one: leave it to the standard library
    body = f"--{boundary}{NL}" + "".join(f"{part}{NL}--{boundary}{NL}" for part in parts[:-1])
    body += f"{parts[-1]}{NL}--{boundary}--{NL}"
    return headers + _with_boundary(subtype, boundary), body


def flatten_fast(
    sender: str,
    to: str,
    subject: str,
    date: str,
    message_id: str,
    text: str,
    html: str,
    ics: str | None,
    ics_method: str,
    utf8: bool,
) -> bytes | None:
    """The message's bytes (CRLF), as ``build_email`` then ``as_bytes(policy=SMTP or SMTPUTF8)`` make them; None
    when the shape is not one written here. Raises ValueError/UnicodeError where the standard library would."""
    if ics is not None and ics_method not in METHODS:
        return None
    top = (
        header("From", sender, utf8)
        + header("To", to, utf8, address=True)
        + header("Subject", subject, utf8)
        + header("Date", date, utf8)
        + header("Message-ID", message_id, utf8)
        + f"MIME-Version: 1.0{NL}"
    )
    plain, rich = _text_part("plain", text, False), _text_part("html", html, True)
    if ics is None:
        made = _multipart("alternative", [plain, rich], top)
        if made is None:
            return None
        headers, body = made
        return _bytes(headers + NL + body)
    inner = _multipart("alternative", [plain, rich], "")
    if inner is None:
        return None
    alternative = inner[0] + NL + inner[1]
    attachment = (
        f"Content-Transfer-Encoding: base64{NL}"
        f'Content-Disposition: attachment; filename="uitleen.ics"{NL}'
        f'Content-Type: text/calendar; method="{ics_method}"; charset="utf-8"{NL}'
        f"MIME-Version: 1.0{NL}{NL}" + _lines(_encode_base64(ics.encode(), MAX_LINE))
    )
    made = _multipart("mixed", [alternative, attachment], top)
    if made is None:
        return None
    headers, body = made
    return _bytes(headers + NL + body)
