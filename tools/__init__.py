"""Command-line tools that work against the deployed stack or the local one."""
