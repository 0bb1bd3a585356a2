"""Keep room tokens out of log files: websockets logs request lines and headers at debug."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"(token=|Bearer\s+)[^\s&'\"]+", re.IGNORECASE)


class RedactTokens(logging.Filter):
    """Replace ``token=...`` and ``Bearer ...`` in a record's message with ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub(r"\1[redacted]", message), ()
        return True


def redacting_logger(name: str, *, level: int | None = None) -> logging.Logger:
    """The logger to hand to websockets: same records, tokens redacted."""
    logger = logging.getLogger(name)
    if level is not None:
        logger.setLevel(level)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
    return logger
