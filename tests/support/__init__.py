"""Helpers shared by the test folders, and the fixture plugin on the test services.

The layers, lowest first (a module imports only modules above it in this list, and nothing of a
test folder; ``tests/unit/test_tests_layout.py`` checks it):

- ``waiting``: ``eventually``, the one way a test waits for a state;
- ``http``: what any client of the API uses (secrets of the tests, loopback ports, event ids);
- ``records``: reservations and messages built for the PostgreSQL, Kafka and worker tests;
- ``services``: where the test services come from (``TICKETING_TEST_SERVICES``: scripts/services.sh
  or testcontainers) and the settings they answer on;
- ``redis_servers``: the Redis servers of the tests, leased databases and clean-up;
- ``kafka_topics``: reading and writing topics directly, consumer groups, a late broker;
- ``stack``: ``ticketing`` processes configured for the real stack, and scripts/services.sh;
- ``service_fixtures``: the fixtures on the services (``pytest_plugins`` in tests/conftest.py).

A helper that only one folder uses stays in that folder (``tests/api/support.py``,
``tests/e2e/support.py``), importing from here; no folder imports another.
"""
