"""Entrypoints: the ways in. The HTTP API (``ticketing_entrypoints.http``), the command line
(``ticketing_entrypoints.cli``) and the one composition root they share
(``ticketing_entrypoints.bootstrap``)."""
