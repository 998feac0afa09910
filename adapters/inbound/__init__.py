"""Inbound adapters: AWS event shapes in, AWS response shapes out."""
