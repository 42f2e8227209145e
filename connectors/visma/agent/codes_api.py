"""``GET /v1/codes/{kind}``: a Visma code list (terms of payment, ways and terms of delivery,
article accounts), so the server can offer the company's codes by name instead of free text."""

from __future__ import annotations

from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent.api import Api
from connectors.visma.agent.mapping import clean
from connectors.visma.agent.server import HttpError, Request, Response, Router

# A company has tens of codes of each kind; this bounds the answer all the same.
MAX_CODES = 10_000


class CodesApi:
    def __init__(self, api: Api) -> None:
        self.api = api

    def register(self, router: Router) -> None:
        router.add("GET", "/v1/codes/{kind}", self.codes)

    def codes(self, request: Request) -> Response:
        kind = request.params["kind"]
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
        return Response(200, P.CodeList(kind=kind, items=items).to_dict())


def add_codes(paths: dict[str, Any], *, op, json, ref, path_param) -> None:
    """This endpoint's part of the OpenAPI document (merged in by ``openapi_document``)."""
    kind = path_param("kind", {"type": "string", "enum": list(P.CODE_KINDS)})
    paths["/v1/codes/{kind}"] = {
        "get": op("One of the company's code lists, in code order", json(ref("CodeList")), params=[kind])
    }
