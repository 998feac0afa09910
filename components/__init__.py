"""Reusable Pulumi components: one per trigger-plus-Lambda pairing, and their shared parts."""
