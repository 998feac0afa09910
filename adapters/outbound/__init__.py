"""Outbound adapters: the domain ports implemented on AWS services."""
