"""Loaded into schemathesis by tests/test_schemathesis.py (SCHEMATHESIS_HOOKS).

When schemathesis drops a required header to see it refused, urllib3 puts its own
`User-Agent: python-urllib3/...` back, so /v2 would never see a request without one. Its
default is made the marker that tells urllib3 to send no User-Agent at all; schemathesis
still names itself on every other request.
"""

import urllib3.connection
from urllib3.util import SKIP_HEADER

urllib3.connection._get_default_user_agent = lambda: SKIP_HEADER
