"""Numbered schema migrations (NNNN_name.sql), shipped as package data; see ``migrate``."""
