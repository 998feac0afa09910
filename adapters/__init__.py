"""Adapters: translate AWS events into domain values (inbound) and domain ports into AWS calls (outbound)."""
