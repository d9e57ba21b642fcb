"""The application: the Flask factory, settings, logging, the servers it runs and the
core's own hook implementations.

This is the assembly layer: it may import everything below it (web tier, plugins, jobs,
ingest, delivery, tracker), and only the CLI sits above it.
"""
