"""Compute: functions, execution environments, concurrency, and running a handler.

Also the error objects the runtime reports (``records``): the runtime builds them,
so they live beside it rather than with the invocation paths.
"""
