"""A CSV section read by header name: aliases map the provider's (and users') names to ours."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .errors import ParseError
from .text import norm_header


@dataclass
class Table:
    file: str
    columns: dict[str, int]  # our field name → column index
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells)
    headers: list[str]

    @classmethod
    def build(
        cls,
        file: str,
        header: list[str],
        rows: list[tuple[int, list[str]]],
        aliases: dict[str, tuple[str, ...]],
        required: tuple[str, ...],
    ) -> Table:
        index = {norm_header(name): i for i, name in enumerate(header) if name.strip()}
        columns: dict[str, int] = {}
        for ours, names in aliases.items():
            for name in (ours, *names):
                if norm_header(name) in index:
                    columns[ours] = index[norm_header(name)]
                    break
        for ours in required:
            if ours not in columns:
                raise ParseError(
                    file,
                    _("required column %(column)s is missing (also accepted: %(aliases)s)")
                    % {"column": repr(ours), "aliases": ", ".join(aliases[ours]) or "-"},
                )
        for number, cells in rows:
            if len(cells) < len(header):
                # Trailing empty cells may be cut off by some tools; a row short of a column we
                # use is a truncated file, not something to guess about.
                needed = max(columns.values()) + 1
                if len(cells) < needed:
                    raise ParseError(
                        file,
                        _(
                            "row %(row)s has %(fields)s fields, the header has %(header)s;"
                            " the file may be truncated"
                        )
                        % {"row": number, "fields": len(cells), "header": len(header)},
                    )
        return cls(file, columns, rows, header)

    def get(self, cells: list[str], name: str) -> str:
        i = self.columns.get(name)
        if i is None or i >= len(cells):
            return ""
        return cells[i].strip()

    def raw(self, cells: list[str]) -> dict:
        return {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(self.headers)}


def split_sections(rows: list[list[str]]) -> list[list[tuple[int, list[str]]]]:
    """Blank lines separate sections (Klarna: totals block, then transactions)."""
    sections: list[list[tuple[int, list[str]]]] = []
    current: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(rows, start=1):
        if not any(c.strip() for c in cells):
            if current:
                sections.append(current)
                current = []
            continue
        current.append((number, cells))
    if current:
        sections.append(current)
    return sections
