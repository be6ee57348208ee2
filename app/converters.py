"""`<id:name>` in a route: a row id, 1 to MAX_ID. A bigger number is a 404 before any query runs."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from app.services.validation import MAX_ID


class IdConverter(IntegerConverter):
    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=MAX_ID, **kwargs)


def id_parameter_schema(_converter) -> dict:
    """How `<id:…>` appears in openapi.json."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
