"""Logging: plain lines for people, or one JSON object per line (LOG_FORMAT=json) for collectors.

Call-handling code passes `extra={"call_sid": …}` so every line about a call can be correlated.
Phone numbers and names are never logged at INFO; webhook payloads are not logged at all. With
MASK_NUMBERS on, any number a line still carries (a provider's error quoting it, an exception) is
masked as agents see it (`MaskNumbers`).
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


# The region numbers are masked for in this process's log lines (`mask_numbers_in_logs`), for every
# formatter of ours, whenever it was made: alembic's fileConfig (a `flask db upgrade`, a test)
# replaces the root's handlers after create_app has configured them.
_mask_region: str | None = None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if _mask_region:
            record = masked(record, _mask_region)
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if _mask_region:
            record = masked(record, _mask_region)
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


def masked(record: logging.LogRecord, region: str) -> logging.LogRecord:
    """A copy of `record` with every phone number in it masked (its message, string extras,
    traceback), as `app.services.privacy.mask_text` does; the record itself is left alone for
    any other handler."""
    from app.services.privacy import mask_text

    copy = logging.makeLogRecord(vars(record))
    copy.msg, copy.args = mask_text(record.getMessage(), region), None
    for key, value in vars(record).items():
        if key not in _STANDARD and isinstance(value, str):
            setattr(copy, key, mask_text(value, region))
    if record.exc_info:
        copy.exc_text = mask_text(record.exc_text or logging.Formatter().formatException(record.exc_info), region)
    return copy


def mask_numbers_in_logs(region: str) -> None:
    """From now on the lines this process's own handler writes carry numbers masked (MASK_NUMBERS
    on). Never undone: a process serves one app, and once it has asked, nothing it logs is whole."""
    global _mask_region
    _mask_region = region


def masking_region() -> str | None:
    """The region this process's log lines mask numbers for, or None when they don't."""
    return _mask_region
