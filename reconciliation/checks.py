"""A payout is checked before anything is stored as ready: Σ lines = stated total (= bank amount later).

Exact duplicate rows (every field equal) are reported; they are dropped only when the totals then
agree, because two legitimate captures can look alike except for an id the PSP left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .parsing.records import ParsedLine, ParsedPayout


class Hold:
    """Why a payout is held (codes stored in the database; labels in reconciliation.reasons)."""

    UNBALANCED = "unbalanced"
    DUPLICATES_UNDECIDED = "duplicates_undecided"
    BANK_MISMATCH = "bank_mismatch"


@dataclass
class CheckResult:
    lines: list[ParsedLine]  # the lines kept
    duplicate_rows: list[int] = field(default_factory=list)  # file rows that repeat an earlier row
    dropped: int = 0
    naive_total: Decimal = Decimal("0.00")
    lines_total: Decimal = Decimal("0.00")  # Σ net of the lines kept
    stated_total: Decimal | None = None
    held_reason: str = ""
    difference: Decimal = Decimal("0.00")  # lines − stated when held

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_rows)

    @property
    def balanced(self) -> bool:
        return not self.held_reason


def check_payout(payout: ParsedPayout) -> CheckResult:
    seen: set[tuple] = set()
    unique: list[ParsedLine] = []
    duplicate_rows: list[int] = []
    for line in payout.lines:
        key = line.identity()
        if key in seen:
            duplicate_rows.append(line.row)
        else:
            seen.add(key)
            unique.append(line)
    naive = sum((line.net for line in payout.lines), Decimal("0.00"))
    deduped = sum((line.net for line in unique), Decimal("0.00"))
    result = CheckResult(
        lines=list(payout.lines),
        duplicate_rows=duplicate_rows,
        naive_total=naive,
        lines_total=naive,
        stated_total=payout.stated_total,
    )
    stated = payout.stated_total
    if stated is None:
        if duplicate_rows:
            # Nothing says which is right; the bank amount may settle it later (see models).
            result.held_reason = Hold.DUPLICATES_UNDECIDED
        return result
    if naive == stated:
        return result  # look-alike rows that the total confirms are real
    if duplicate_rows and deduped == stated:
        result.lines, result.dropped, result.lines_total = unique, len(duplicate_rows), deduped
        return result
    result.held_reason = Hold.UNBALANCED
    result.difference = naive - stated
    return result


def dedupe_against(result: CheckResult, target: Decimal) -> CheckResult:
    """Resolve duplicates against another figure (the bank amount) when the file states no total."""
    if not result.duplicate_rows:
        return result
    seen: set[tuple] = set()
    unique = []
    for line in result.lines:
        if line.identity() not in seen:
            seen.add(line.identity())
            unique.append(line)
    total = sum((line.net for line in unique), Decimal("0.00"))
    if total == target:
        result.lines, result.dropped, result.lines_total, result.held_reason = (
            unique,
            len(result.duplicate_rows),
            total,
            "",
        )
    return result
