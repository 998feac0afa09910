"""Mutation testing of the domain, the adapters and the handlers: the score `make mutate` prints, the survivors
explained, and which tests judge which mutants."""
