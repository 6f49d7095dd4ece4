"""The run heap under SQS queues: smallest first, whatever order entries come in."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_lab.sim.resources.runheap import RunHeap


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=50), st.booleans()),
        max_size=60,
    )
)
def test_entries_leave_smallest_first_like_a_heap(steps):
    # GIVEN any interleaving of pushes (mostly in order, some not) and pops
    ours, reference, seq = RunHeap(), [], 0
    for push, key, in_order in steps:
        if push or not reference:
            seq += 1
            entry = (seq if in_order else key, seq)
            ours.push(entry)
            heapq.heappush(reference, entry)
        else:
            # WHEN one is taken THEN it is the heap's smallest, and so is the next peek
            assert ours.peek() == reference[0]
            assert ours.pop() == heapq.heappop(reference)
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
    assert [queue.pop() for _ in range(2)] == [(0,), (1,)]
    # WHEN cleared THEN it is empty, and an empty queue refuses to peek or pop
    queue.clear()
    assert not queue and len(queue) == 0
    with pytest.raises(IndexError):
        queue.peek()
    with pytest.raises(IndexError):
        queue.pop()


def test_an_entry_equal_to_the_last_goes_to_the_heap_and_still_comes_out():
    queue = RunHeap()
    queue.push((1, "a"))
    queue.push((1, "a"))
    queue.push((2, "b"))
    assert [queue.pop() for _ in range(3)] == [(1, "a"), (1, "a"), (2, "b")]
