"""Who calls Lambda: traffic patterns, SDK clients with botocore's retries, and
API Gateway, sharing one request-with-deadline protocol (``deadline``)."""
