"""The simulator: Lambda's semantics over a small discrete-event engine.

``engine`` knows nothing of Lambda; ``service`` runs handlers in execution
environments under concurrency limits; ``sync`` and ``asynchronous`` are the
invocation paths; ``targets`` and ``destinations`` receive what they send;
``trace`` records every step.  Nothing here imports widgets or IPython.
"""
