"""payments-service: Harvest v1 compatible invoice payments on PostgreSQL."""
