"""The embedded AWS (moto on loopback) and what guards it: faults, IAM, DynamoDB's atomic writes."""
