"""What tests share, imported by test modules and by the fixtures in the conftest.py files.

database (the test database, seeding and snapshots, a PostgreSQL of one's own), auth
(accounts, tokens, credentials), api (requests as Harvest clients send them), app (the app
in-process), server (`serve` as a process), workers (its worker processes), cli, contract
(responses against /openapi.json), dns, jepsen (the invariant under load), webhooks, metrics,
harvest_spec, harvest_clients, openapi_client, schemathesis_hooks.
"""
