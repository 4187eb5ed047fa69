"""Entrypoints: the ways in. The HTTP API (``entrypoints.http``), the command line
(``entrypoints.cli``) and the one composition root they share (``entrypoints.bootstrap``)."""
