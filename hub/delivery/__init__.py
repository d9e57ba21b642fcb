"""Delivery: what leaves the hub. The outbox (durable, ordered lanes of messages), the
fan-out of ticket changes to connected systems, and notifications (mail, pushes to the
remote a conversation speaks through). The rq jobs that drain the outbox are in hub.jobs.
"""
