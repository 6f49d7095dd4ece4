"""The simulator: Lambda's semantics over a small discrete-event engine, in layers.

Imports run downhill only, and ``tests/test_layers.py`` keeps it so:

``engine``, ``clock``, ``fastjson``   a small event engine and its helpers; they know
                                     nothing of Lambda (``ids`` and ``registry`` add
                                     seeded ids and the names and ARNs of one account)
``trace/``       append-only records, their declared kinds, metrics derived from them
``compute/``     functions, execution environments, concurrency, running a handler
``resources/``   SQS, SNS, EventBridge, S3: grouped by what they are, not who uses them
``invoke/``      the synchronous and asynchronous paths, destinations, payload quotas
``callers/``     traffic patterns, SDK clients with botocore's retries, API Gateway
``mappings/``    event source mappings (pollers), next
``world``        :class:`~lambda_lab.sim.world.World` assembles one account; every
                 part receives the world (or the pieces it needs), never the ``Lab``

Nothing here imports ``lambda_lab.lab``, widgets or IPython.
"""
