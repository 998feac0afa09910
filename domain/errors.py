"""The one error the domain raises: input that can never be applied, with a message a user can act on."""


class InvalidStockInput(ValueError):
    """Raised when a value cannot become a valid stock update; the message says what to fix."""
