"""The shard log every stream source shares, against surviving mutants: reads after
partial expiry, compaction of long-expired slots, positions that never move, the
expiry records' counts, and the exact words of each refusal.

Scenarios in GIVEN / WHEN / THEN form, on a Kinesis shard read through its public
interface and on the trace.
"""

from __future__ import annotations

import pytest
from support import refused

import lambda_lab as ll
from lambda_lab.errors import InvalidParameterValueException

DAY = 24 * 3600


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=23)


def put_many(stream, count):
    while count:
        n = min(count, 500)
        stream.put_records([{"Data": b"x", "PartitionKey": "k"}] * n)
        count -= n


def test_reads_after_a_partial_expiry_start_at_the_oldest_kept_record(lab):
    # GIVEN ten records put one a second from 0 s
    stream = lab.create_stream("s")
    shard = stream.shards[0]
    sequence = {}
    for t in range(10):
        lab.run(until=t)
        sequence[t] = stream.put_record(b"x", "k")["SequenceNumber"]
    # WHEN a day and 5 s have passed THEN six expired in one sweep
    lab.run(until=DAY + 5)
    assert shard.trim_horizon() == 6 and shard.expired == 6
    # AND reads by time and by sequence number find the kept records
    assert shard.position_at(8) == 8
    assert [r.position for r in shard.records_from(sequence[8], 5)] == [8, 9]
    # AND two seconds later a second sweep expires two more
    lab.run(until=DAY + 7)
    assert [r.position for r in shard.records] == [8, 9]
    assert shard.expired == 8
    sweeps = lab.trace.filter("stream_records_expired")
    assert [(r["t"], r["count"], r["first_position"], r["last_position"]) for r in sweeps] == [
        (DAY + 5, 6, 0, 5),
        (DAY + 7, 2, 6, 7),
    ]
    assert all(r["source"] == "s" and r["shard"] == shard.id for r in sweeps)


def test_positions_stay_absolute_across_two_compactions(lab):
    # GIVEN 1,100 records at 0 s, read once a day later (so the log compacts)
    stream = lab.create_stream("s")
    shard = stream.shards[0]
    put_many(stream, 1100)
    lab.run(until=DAY)
    assert shard.trim_horizon() == 1100
    # WHEN 1,100 more arrive then, and 5 more a second later
    put_many(stream, 1100)
    assert [r.position for r in shard.records_from(1100, 3)] == [1100, 1101, 1102]
    lab.run(until=DAY + 1)
    put_many(stream, 5)
    # AND another day passes, so the log compacts again
    lab.run(until=2 * DAY + 0.5)
    # THEN the five keep their absolute positions
    assert shard.trim_horizon() == 2200 and shard.latest() == 2205
    assert [r.position for r in shard.records_from(2200, 10)] == [2200, 2201, 2202, 2203, 2204]
    assert [r.position for r in shard.records_from(0, 2)] == [2200, 2201]
    assert len(shard) == 5 and shard.expired == 2200


def test_a_limit_of_a_billion_is_the_most_a_read_takes(lab):
    stream = lab.create_stream("s")
    shard = stream.shards[0]
    stream.put_record(b"x", "k")
    assert len(shard.records_from(0, 10**9)) == 1
    refused(
        InvalidParameterValueException,
        "limit must be an integer between 1 and 1000000000, got 1000000001",
        shard.records_from,
        0,
        10**9 + 1,
    )


@pytest.mark.parametrize("position", [1.5, True, -1])
def test_a_position_must_be_a_non_negative_integer(lab, position):
    shard = lab.create_stream("s").shards[0]
    refused(
        InvalidParameterValueException,
        f"position must be a non-negative integer or a sequence number, got {position!r}",
        shard.records_from,
        position,
        1,
    )


def test_bad_times_and_sequence_numbers_are_refused_in_these_words(lab):
    shard = lab.create_stream("s").shards[0]
    refused(
        InvalidParameterValueException,
        "t must be a number of virtual seconds, got 'x'",
        shard.position_at,
        "x",
    )
    refused(
        InvalidParameterValueException,
        "sequence_number must be a decimal string, got '12a'",
        shard.records_from,
        "12a",
        1,
    )
