"""Published Harvest clients and connectors, unchanged, against the live service on loopback.

`make clients` installs each, pinned, in its own environment under `.clients/` and runs these
tests with HARVEST_CLIENTS pointing there; without it they are not collected (they need those
installs, and take a while), so `make test` leaves them out.
"""

from tests.support.harvest_clients import CLIENTS

collect_ignore_glob = [] if CLIENTS else ["test_*.py"]
