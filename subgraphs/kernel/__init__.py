"""The shared kernel: settings, database, errors, auth verification, events, live bus, app factory.

Only code that two or more subgraphs need lives here.
"""
