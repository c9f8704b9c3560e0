"""Article text made safe for a terminal: no escape sequences, no control characters, no Rich markup.

Articles come from anywhere. Printed raw, an escape sequence in one can clear the screen, retitle the window
or hide text; a ``[/]`` in a URL breaks Rich's markup parser. Everything the CLI prints that came from an
article, a file name or a user goes through :func:`plain` and is wrapped in a :class:`rich.text.Text`,
which Rich never parses as markup.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings, and two-byte escapes.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -~])"
)
# C0 controls but tab and newline, DEL, C1 controls (\x9b is an 8-bit CSI), and bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value: object) -> str:
    """``value`` as text with escape sequences and control characters removed (tabs and newlines kept)."""
    text = str(value).replace("\r\n", "\n")
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def text(value: object, style: str = "") -> Text:
    """Safe terminal text in ``style``: never parsed as markup."""
    from rich.text import Text

    return Text(plain(value), style=style)


def link(url: str) -> Text:
    """A clickable URL (http and https only; anything else is shown, not linked)."""
    from rich.style import Style
    from rich.text import Text

    shown = plain(url)
    linked = shown.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in shown)
    return Text(shown, style=Style(link=shown) if linked else "")
