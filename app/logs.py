"""Logging: plain lines for people, or one JSON object per line (LOG_FORMAT=json) for collectors.

Call-handling code passes `extra={"call_sid": …}` so every line about a call can be correlated.
Phone numbers and names are never logged at INFO; webhook payloads are not logged at all.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        call_sid = getattr(record, "call_sid", None)
        return f"{line} [call_sid={call_sid}]" if call_sid else line


def configure_logging() -> None:
    """Configure the root logger once per process (create_app may run several times in tests)."""
    root = logging.getLogger()
    if getattr(root, "_knowncaller_configured", False):
        return
    handler = logging.StreamHandler()
    if os.environ.get("LOG_FORMAT", "plain").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    root._knowncaller_configured = True
