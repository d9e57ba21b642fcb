"""Ingest: an event from any channel becomes a stored, idempotent inbound event and then a
ticket change (the pipeline: draft, correlate, create/update/comment, hooks).
"""
