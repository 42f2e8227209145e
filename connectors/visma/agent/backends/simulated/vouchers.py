"""Vouchers (verifikationer) in the simulated company: balanced or refused, numbered per company."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.simulated.documents import Documents, today_long
from connectors.visma.agent.backends.simulated.store import validate
from connectors.visma.agent.errors import AdkError

HEAD = "ADK_VERIFICATION_HEAD_"
ROW = "ADK_VERIFICATION_ROW_"
# Visma refuses an unbalanced voucher; the ADK number is not documented, so the simulator uses the
# generic "invalid value" error (ADKE_INVALID_VALUE) with the field named.
ADKE_INVALID_VALUE = 9


def add_voucher(docs: Documents, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> dict:
    validate(F.VERIFICATION_HEAD, values)
    if not rows:
        raise AdkError(ADKE_INVALID_VALUE, field=f"{HEAD}ROWS", detail="a voucher needs rows")
    cents = [round(float(r.get(f"{ROW}AMOUNT") or 0.0) * 100) for r in rows]
    if sum(cents) != 0:
        raise AdkError(
            ADKE_INVALID_VALUE, field=f"{ROW}AMOUNT", detail=f"unbalanced by {sum(cents) / 100:.2f}"
        )
    store = docs.store
    last = store.conn.execute(f"SELECT MAX({HEAD}VER_NR) FROM {F.VERIFICATION_HEAD.sql}").fetchone()[0]
    number = int(last or 0) + 1
    head = dict(values)
    head[f"{HEAD}VER_NR"] = number
    head.setdefault(f"{HEAD}DATE1", today_long())
    head[f"{HEAD}DEBIT"] = sum(c for c in cents if c > 0) / 100
    head[f"{HEAD}CREDIT"] = -sum(c for c in cents if c < 0) / 100
    head[f"{HEAD}NROWS"] = len(rows)
    store.insert(F.VERIFICATION_HEAD, head)
    for i, row in enumerate(rows, start=1):
        record = dict(row)
        record[f"{ROW}VER_NR"] = number
        record[f"{ROW}ROW"] = i
        record.setdefault(f"{ROW}DATE1", head[f"{HEAD}DATE1"])
        store.insert(F.VERIFICATION_ROW, record)
    return store.find(F.VERIFICATION_HEAD, {f"{HEAD}VER_NR": number}) or {}
