"""The bottom of the core: the per-app Runtime, the database and the secret box.

Everything above (tracker, ingest, delivery, jobs, the web tier) reaches settings, the
clock, sessions and hooks through a Runtime; this package imports nothing of the hub
above it.
"""
