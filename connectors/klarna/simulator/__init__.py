"""A Klarna Settlements API simulator (WSGI) for tests and the demo: Basic auth, paging, faults."""
