"""Lambda entry points: one module per function, each the composition root of its adapters and use cases."""
