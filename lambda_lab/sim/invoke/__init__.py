"""Invocation paths: synchronous, asynchronous (queue, retries, event age),
destinations and dead-letter queues, event invoke configs, payload quotas."""
