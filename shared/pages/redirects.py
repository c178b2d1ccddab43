"""Where a page may send the browser next: only a path on this site, and never a header that breaks.

Two kinds of value end up in a ``Location`` header: a target the visitor chose (``?next=``, ``?terug=``), and
the path of the current request (the login redirect sends people back where they were). Both come from the
visitor, so both pass through here:

- ``safe_redirect_target`` accepts a path of this origin only. Browsers forgive a lot — they drop tabs and
  newlines anywhere in a URL, strip leading control characters and spaces, read ``\\`` as ``/`` — so
  ``/\\t/evil.com`` or ``/\\evil.com`` would take the visitor to another site. Anything with a control or space
  character, a backslash, or that does not start with exactly one ``/`` is refused outright; nothing is
  repaired, because a repaired value is one the visitor did not send.
- ``location_for_path`` turns a request path (decoded, so it may hold ``\\r\\n`` from ``%0d%0a``) back into a
  percent-encoded one. Werkzeug refuses a header value with a newline, which used to be a 500.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, quote_from_bytes, unquote, urlsplit

from flask import request

# Far longer than any path of ours; a longer value is someone testing the limits.
MAX_TARGET_LENGTH = 2000
# What may stay as it is in a path and query we send on; everything else is percent-encoded (RFC 3986's
# reserved and unreserved characters, and '%' so that an existing escape is kept as the visitor sent it).
URL_SAFE = "/?&=#%:;,@!$'()*+~-._"


def _has_unsafe_character(text: str) -> bool:
    """Control, format (bidi overrides, zero-width) and separator characters, any white space, a backslash."""
    return any(ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in text)


def _is_local_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def safe_redirect_target(raw: str | None, default: str) -> str:
    """``raw`` if it is a path on this site (percent-encoded where it held other than ASCII), else ``default``.

    ``default`` is the caller's own, trusted value (an ``url_for`` or a path of the nav).
    """
    if not raw or len(raw) > MAX_TARGET_LENGTH or _has_unsafe_character(raw):
        return default
    # Look-alikes that compatibility normalisation turns into '/' or '\\' ('／', '＼') are refused; any other
    # character beyond ASCII is percent-encoded, and so no longer anything but a letter of a path.
    if _has_unsafe_character(unicodedata.normalize("NFKC", raw)) or not _is_local_path(
        unicodedata.normalize("NFKC", raw)
    ):
        return default
    target = quote(raw, safe=URL_SAFE)
    if not _is_local_path(target):
        return default
    # Percent-escapes are kept as sent; a decoded path must still be harmless, in case anything decodes it.
    decoded = unquote(target.split("?", 1)[0])
    if _has_unsafe_character(decoded) or not _is_local_path(decoded):
        return default
    return target


def location_for_path(path: str) -> str:
    """A (decoded) request path, percent-encoded again so that it is safe in a header and in a query.

    Leading slashes are folded into one: ``//elsewhere`` would name another host."""
    return "/" + quote(path, safe="/").lstrip("/")


def current_path(with_query: bool = True) -> str:
    """Where this request is, seen from the browser: the app's mount point, the path and (raw) query string."""
    path = location_for_path(request.script_root + request.path)
    query = quote_from_bytes(request.query_string, safe=URL_SAFE)
    return f"{path}?{query}" if with_query and query else path
