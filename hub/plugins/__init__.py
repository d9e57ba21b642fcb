"""The plugin system: the pluggy manager, plugin settings and state, plugin web routes,
and connector instances (an installed connector plus its validated, encrypted config).

It sits just above the tracker: ingest, delivery, sync and jobs look instances up here.
"""
