"""The base of every enumeration of words baglab shares between its core and its CLI.

A member is its text: it compares equal to it, hashes like it, prints and formats as it and is
written to JSON as it, so reports and printed lines read exactly as the plain strings did, while
the set of choices is defined once (the CLI's typer options take these classes as they are)."""
from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    __str__ = str.__str__           # "plane", not "RehearsalKind.PLANE", wherever it is printed
    __format__ = str.__format__
