"""Operations: request ids, one JSON log line per request, Prometheus metrics."""
