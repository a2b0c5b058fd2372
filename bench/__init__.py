"""The benchmark harness (`make bench`): the service under load next to a raw asyncpg baseline."""
