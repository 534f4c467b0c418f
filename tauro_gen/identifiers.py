"""Names from config as Python sees them: the one place that says what is an identifier, what
a plain name is, and how an entry name becomes an identifier of a job.

Python compares identifiers after NFKC normalisation (`ﬁles` and `files` are one variable),
so every comparison here is of NFKC forms, and every identifier we derive is in NFKC form.
Patterns are matched whole (`fullmatch`): `re`'s `$` also matches before a final newline.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

# Entry names (pipelines, nodes, inputs, outputs) and environment names become file and folder
# names (build/<env>/<pipeline>.py), query names and, through `identifier_for`, identifiers.
PLAIN_NAME = re.compile(r"\w[\w.\-]*")


def nfkc(text: str) -> str:
    """The form Python gives an identifier when it reads one."""
    return unicodedata.normalize("NFKC", text)


def is_plain_name(text: str) -> bool:
    return PLAIN_NAME.fullmatch(text) is not None


def identifier_problem(text: str) -> str | None:
    """Why `text` cannot be written as a Python identifier exactly as it is (a keyword
    argument, a variable), or None when it can."""
    if not text.isidentifier():
        return "is not a Python identifier"
    if keyword.iskeyword(text):
        return "is a Python keyword"
    if nfkc(text) != text:
        return f"reads as '{nfkc(text)}' in Python (Unicode normalisation)"
    return None


def identifier_for(name: str) -> str:
    """A readable identifier for an entry name: its NFKC form with every character Python
    does not accept in a name replaced by `_`, never a keyword; an ASCII spelling when the
    name has nothing usable (`x` at worst)."""
    text = _identifier_text(nfkc(name))
    if not text:
        text = _identifier_text(
            unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        )
    text = text or "x"
    if not text.isidentifier():  # starts with a digit (or another non-starting character)
        text = f"n{text}"
    if keyword.iskeyword(text):
        text += "_"
    return text


def _identifier_text(text: str) -> str:
    """`text` with each run of characters that cannot continue an identifier as one `_`."""
    out: list[str] = []
    for char in text:
        if f"_{char}".isidentifier():
            out.append(char)
        elif not out or out[-1] != "_":
            out.append("_")
    return "".join(out).strip("_")
