"""``GET /v1/codes/{kind}``: a Visma code list (terms of payment, ways and terms of delivery,
article accounts), so the server can offer the company's codes by name instead of free text."""

from __future__ import annotations

from connectors.visma import protocol as P
from connectors.visma.agent.api import Api
from connectors.visma.agent.declare import path, route
from connectors.visma.agent.mapping import clean
from connectors.visma.agent.server import HttpError, Request

# A company has tens of codes of each kind; this bounds the answer all the same.
MAX_CODES = 10_000


class CodesApi:
    def __init__(self, api: Api) -> None:
        self.api = api

    @route(
        "GET",
        "/v1/codes/{kind}",
        "One of the company's code lists, in code order",
        answer=P.CodeList,
        params=(path("kind", {"type": "string", "enum": list(P.CODE_KINDS)}),),
    )
    def codes(self, request: Request) -> P.CodeList:
        kind = request.args["kind"]
        table = P.CODE_KINDS.get(kind)
        if table is None:
            raise HttpError(404, "not_found", f"no code list {kind[:40]!r}; one of {', '.join(P.CODE_KINDS)}")
        prefix = table.replace("ADK_DB_", "ADK_") + "_"
        rows = self.api.run(
            lambda: self.api.service.backend.scan(table, order_by=(f"{prefix}CODE",), limit=MAX_CODES)
        )
        items = [
            P.Code(
                code=clean(r[f"{prefix}CODE"]),
                text=clean(r[f"{prefix}TEXT"]),
                vat_code=clean(r.get(f"{prefix}VAT")),
            )
            for r in rows
        ]
        return P.CodeList(kind=kind, items=items)
