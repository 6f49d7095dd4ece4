"""The run heap under SQS queues: smallest first, whatever order entries come in."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_lab.sim.resources.runheap import RunHeap


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["push", "pop", "pop_due"]),
            st.integers(min_value=0, max_value=50),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_entries_leave_smallest_first_like_a_heap(steps):
    # GIVEN any interleaving of pushes (mostly in order, some not) and pops
    ours, reference, seq = RunHeap(), [], 0
    for action, key, in_order in steps:
        assert ours.first() == (reference[0] if reference else None)
        if action == "push" or not reference:
            seq += 1
            entry = (seq if in_order else key, seq)
            ours.push(entry)
            heapq.heappush(reference, entry)
        elif action == "pop":
            # WHEN one is taken THEN it is the heap's smallest
            assert ours.pop() == heapq.heappop(reference)
        else:
            # WHEN one is taken only if due by `key` THEN only the smallest, only if due
            due = reference[0][0] <= key
            assert ours.pop_due(key) == (heapq.heappop(reference) if due else None)
        assert len(ours) == len(reference) and bool(ours) == bool(reference)
    # AND what is left comes out sorted
    assert [ours.pop() for _ in range(len(ours))] == sorted(reference)


def test_in_order_entries_skip_the_heap_and_clear_empties_both():
    # GIVEN entries pushed in order, then one smaller
    queue = RunHeap()
    for key in (1, 2, 3):
        queue.push((key,))
    queue.push((0,))
    # THEN the smaller comes first, then the run in its order
    assert queue.first() == (0,)
    assert [queue.pop() for _ in range(2)] == [(0,), (1,)]
    # AND an entry is due at its own time, not before
    assert queue.pop_due(1.5) is None
    assert queue.pop_due(2) == (2,)
    # WHEN cleared THEN it is empty: nothing first, nothing due, nothing to pop
    queue.clear()
    assert not queue and len(queue) == 0
    assert queue.first() is None and queue.pop_due(100) is None
    with pytest.raises(IndexError):
        queue.pop()


def test_a_heap_entry_smaller_than_the_runs_head_is_first_and_due_first():
    # GIVEN a run of 5, 6 and a heap entry 4 (pushed after the run)
    queue = RunHeap()
    queue.push((5,))
    queue.push((6,))
    queue.push((4,))
    # THEN 4 is first, due at 4, and the run follows
    assert queue.first() == (4,)
    assert queue.pop_due(3) is None
    assert queue.pop_due(4) == (4,)
    assert queue.first() == (5,) and queue.pop_due(5) == (5,)


def test_an_entry_equal_to_the_last_goes_to_the_heap_and_still_comes_out():
    queue = RunHeap()
    queue.push((1, "a"))
    queue.push((1, "a"))
    queue.push((2, "b"))
    assert [queue.pop() for _ in range(3)] == [(1, "a"), (1, "a"), (2, "b")]
