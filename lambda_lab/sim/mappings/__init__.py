"""Event source mappings: pollers that read queues and streams and invoke in batches.

:mod:`.base` (identity, state, boto3's description, partial batch responses),
:mod:`.rules` (what each source allows), :mod:`.sqs` (the SQS poller),
:mod:`.streams` (Kinesis, DynamoDB Streams and Kafka), :mod:`.windows` (tumbling
windows), :mod:`.sizing`.
"""
