"""Bytes are data, never instructions: text from landing files made safe to show.

File names and values come from whoever fills the landing zone. Shown as they are, a
name that is not valid UTF-8 cannot be printed or stored (Python keeps its bytes as lone
surrogates), `[bold]` or `[/link]` is console markup to rich, an escape sequence restyles
the terminal, and `|`, `<script>` or `[x](javascript:…)` are table syntax, HTML and links
to the Markdown of Prefect's artifacts. Each function here returns text that shows
exactly what was there and does nothing else.
"""

from __future__ import annotations

import re

from rich.markup import escape as _rich_escape

# C0 and C1 control characters except tab and newline, and DEL: they move the cursor or
# restyle a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with undecodable bytes as `\\xNN` and control characters as escapes.

    A file name that is not valid UTF-8 reaches Python as lone surrogates
    (`surrogateescape`); they become the `\\xNN` of the bytes they stand for.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that does not stand for a byte
        raw = text.encode("utf-8", "backslashreplace")
    decoded = raw.decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", decoded)


def console(text: object) -> str:
    """`text` for a rich console string: printable, with markup escaped."""
    return _rich_escape(printable(str(text)))


# Characters Markdown (and the HTML it may carry) reads as syntax.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~])")


def markdown(text: object) -> str:
    """`text` as literal Markdown text: every syntax character escaped, on one line.

    `<` and `>` become entities, so no raw HTML reaches a renderer that allows it, and
    brackets are escaped, so no link (`javascript:` or other) is formed.
    """
    plain = printable(str(text)).replace("\r", " ").replace("\n", " ")
    escaped = _MARKDOWN.sub(r"\\\1", plain)
    return escaped.replace("\\<", "&lt;").replace("\\>", "&gt;").replace("\\&", "&amp;")
