"""Event source mappings: pollers that read queues and streams and invoke in batches.

Empty until the event-source-mapping issue lands; the folder holds its place in
the layers (above ``invoke`` and ``resources``, beside ``callers``).
"""
