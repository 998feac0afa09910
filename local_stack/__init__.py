"""Running the Pulumi program without the Pulumi engine: under mocks for tests, or against a local AWS."""
