"""Mutation testing of the model, output and command-line code (``make mutation``)."""
