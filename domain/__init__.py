"""Business rules of the stock service: values, use cases and the ports they talk through."""
