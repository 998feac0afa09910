"""The Lambda service: execution environments, event source pollers, and what creating a mapping checks."""
