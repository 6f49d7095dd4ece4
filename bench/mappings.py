"""Event source mappings at scale: messages through a mapping per wall second.

SQS workload (issue 8): ``--messages`` messages (default 1,000,000) waiting in a
standard queue with a DLQ after 3 receives; a mapping with batches of 10 and
``MaximumConcurrency`` 100; the handler reports 5% of its messages failed
(``ReportBatchItemFailures``, decided by a seeded generator of its own).
Only public API calls.  Every message must end deleted or redriven.

The figure is messages simulated per wall second (target 100,000) and peak
memory (target under 1.5 GB): the peak is the resident set of a separate run
in a child process (``VmHWM``), because tracing allocations would slow a
million-message run several times over.

    python bench/mappings.py                       # the full workload
    python bench/mappings.py --messages 20000      # a quick smoke run

Kinesis workload: ``--messages`` records over 8 shards (put 500 at a time),
a mapping from TRIM_HORIZON with the default batch of 100; every record must
be delivered.  Kafka workload: 200,000 records over 4 partitions, the
default batch of 100 and window of 500 ms.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
from time import perf_counter

import lambda_lab as ll

FAILURE_RATE = 0.05
TARGET_RATE = 100_000
TARGET_PEAK_MIB = 1536


def sqs_workload(messages: int, seed: int = 1) -> tuple[float, int, int, int]:
    """Run the SQS workload; returns (wall seconds, deleted, redriven, batches)."""
    rng = random.Random(seed + 1)
    lab = ll.Lab(seed=seed, echo_logs=False)
    dlq = lab.create_queue("dlq")
    queue = lab.create_queue(
        "q",
        visibility_timeout=30,
        redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 3},
    )

    def handler(event, context):
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r in event["Records"]
                if rng.random() < FAILURE_RATE
            ]
        }

    lab.create_function("f", handler, duration=ll.Exponential(0.05), timeout=5)
    lab.put_function_concurrency("f", reserved_concurrent_executions=100)
    lab.create_event_source_mapping(
        event_source_arn=queue,
        function_name="f",
        batch_size=10,
        function_response_types=["ReportBatchItemFailures"],
        scaling_config={"MaximumConcurrency": 100},
    )
    for start in range(0, messages, 10):
        queue.send_message_batch(
            [
                {"Id": str(i), "MessageBody": f'{{"n": {i}}}'}
                for i in range(start, min(start + 10, messages))
            ]
        )
    t0 = perf_counter()
    lab.run()
    wall = perf_counter() - t0
    deleted, redriven = queue.deleted, queue.redriven
    if deleted + redriven != messages or len(queue):
        sys.exit(
            f"error: {messages} sent, {deleted} deleted, {redriven} redriven, {len(queue)} left"
        )
    batches = len(lab.trace.filter("batch"))
    return wall, deleted, redriven, batches


def kinesis_workload(records: int, seed: int = 1) -> tuple[float, int, int, int]:
    """Run the Kinesis workload; returns (wall seconds, delivered, 0, batches)."""
    lab = ll.Lab(seed=seed, echo_logs=False)
    stream = lab.create_stream("clicks", shard_count=8)
    delivered = [0]

    def handler(event, context):
        delivered[0] += len(event["Records"])

    lab.create_function("f", handler, duration=ll.Exponential(0.05), timeout=5)
    lab.create_event_source_mapping(
        event_source_arn=stream, function_name="f", starting_position="TRIM_HORIZON"
    )
    for start in range(0, records, 500):
        stream.put_records(
            [
                {"Data": f'{{"n": {i}}}', "PartitionKey": f"user-{i % 1000}"}
                for i in range(start, min(start + 500, records))
            ]
        )
    t0 = perf_counter()
    lab.run()
    wall = perf_counter() - t0
    if delivered[0] != records:
        sys.exit(f"error: {records} put, {delivered[0]} delivered")
    return wall, delivered[0], 0, len(lab.trace.filter("batch"))


def kafka_workload(records: int, seed: int = 1) -> tuple[float, int, int, int]:
    """Run the Kafka workload (4 partitions); returns (wall seconds, delivered, 0, batches)."""
    lab = ll.Lab(seed=seed, echo_logs=False)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("clicks", partitions=4)
    delivered = [0]

    def handler(event, context):
        delivered[0] += sum(len(batch) for batch in event["records"].values())

    lab.create_function("f", handler, duration=ll.Exponential(0.05), timeout=5)
    lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["clicks"],
        starting_position="TRIM_HORIZON",
    )
    for i in range(records):
        cluster.produce("clicks", f'{{"n": {i}}}', key=f"user-{i % 1000}")
    t0 = perf_counter()
    lab.run()
    wall = perf_counter() - t0
    if delivered[0] != records:
        sys.exit(f"error: {records} produced, {delivered[0]} delivered")
    return wall, delivered[0], 0, len(lab.trace.filter("batch"))


WORKLOADS = {"sqs": sqs_workload, "kinesis": kinesis_workload, "kafka": kafka_workload}
#: The issue's sizes: a million SQS messages and Kinesis records, 200,000 Kafka records.
DEFAULT_SIZES = {"sqs": 1_000_000, "kinesis": 1_000_000, "kafka": 200_000}


def _peak_kib() -> int:
    """This process's peak resident set, in KiB.

    ``VmHWM`` belongs to the process's own memory map, made new by ``exec``;
    ``ru_maxrss`` is not: Linux carries it over from the parent, so a child
    started after a big workload would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=None, help="default: the issue's size")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--peak-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args(argv)
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    if args.peak_only:
        WORKLOADS[names[0]](args.messages or DEFAULT_SIZES[names[0]])
        print(_peak_kib())
        return 0
    for name in names:
        size = args.messages or DEFAULT_SIZES[name]
        rates = []
        for run in range(args.runs):
            wall, done, redriven, batches = WORKLOADS[name](size, seed=1 + run)
            rates.append(size / wall)
            print(
                f"  {name} run {run + 1}: {size:,} in {wall:.2f}s "
                f"({done:,} done, {redriven:,} redriven, {batches:,} batches)"
            )
        rates.sort()
        best, median = rates[-1], rates[len(rates) // 2]
        print(
            f"{name} mapping: best {best:,.0f} median {median:,.0f} messages/s "
            f"(goal {TARGET_RATE:,})"
        )
        if not args.no_memory:
            command = [sys.executable, __file__, "--peak-only", "--workload", name]
            child = subprocess.run(
                [*command, "--messages", str(size)],
                check=True,
                capture_output=True,
                text=True,
            )
            peak_mib = int(child.stdout.split()[-1]) / 1024
            print(
                f"{name} mapping: peak resident {peak_mib:,.0f} MiB "
                f"(goal under {TARGET_PEAK_MIB:,})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
