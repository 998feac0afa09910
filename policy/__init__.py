"""The stock service's Pulumi policy pack (run by `pulumi preview --policy-pack policy`)."""
