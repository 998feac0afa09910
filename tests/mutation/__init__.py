"""Mutation testing of the domain and the adapters: the score `make mutate` prints and the survivors explained."""
