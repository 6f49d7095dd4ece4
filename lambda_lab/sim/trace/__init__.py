"""The trace: records of what happened, their declared kinds, and metrics."""
