"""Resources with ARNs: SQS queues, SNS topics, EventBridge buses, S3 buckets.

An SQS queue is a destination, a DLQ and an event source alike, so resources are
grouped by what they are, not by who uses them.
"""
