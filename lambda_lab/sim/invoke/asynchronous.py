"""The asynchronous path (``Event``): Lambda's internal queue, retries and event age.

The caller gets 202 as soon as the event is queued; from then on Lambda owns
it.  Every accepted event ends in exactly one terminal record, ``succeeded``
or ``dropped`` (with the ``reason``: ``RetriesExhausted``, ``EventAgeExceeded``
or ``ZeroReservedConcurrency``), after any destination or DLQ delivery.

* Function errors (exception, timeout, marshal error, ...) are retried up to
  ``MaximumRetryAttempts`` times, 60 s after the first attempt ends and 120 s
  after the second.
* Throttles and system errors (500, see ``service_error_probability``) go
  back to the queue with a backoff of 1 s doubling up to 5 min and never
  spend retry attempts; only the event age bounds them.
* The age is decided ahead of time, as AWS does: when the next try would
  start past ``MaximumEventAgeInSeconds``, the event fails now with
  ``EventAgeExceeded``.
* Reserved concurrency 0: straight to failure handling, no attempt.
* At-least-once: with a duplicate-delivery probability, a successfully
  processed event is delivered once more (same request id), as AWS warns.

Its trace records (``accepted`` ... ``succeeded`` / ``dropped``) are declared,
with their fields, in :mod:`lambda_lab.sim.trace.kinds`.
"""

from __future__ import annotations

from typing import Any

from ..clock import SimClock
from ..compute.functions import Function, Invocation
from ..compute.service import SERVICE_ERROR, Service, refusal_record
from .destinations import deliver_dead_letter, deliver_record, invocation_record
from .payloads import MAX_ASYNC_REQUEST_BYTES, encode_payload

__all__ = ["AsyncInvoker"]

FUNCTION_ERROR_DELAYS = (60.0, 120.0)
THROTTLE_BACKOFF_FIRST = 1.0
THROTTLE_BACKOFF_MAX = 300.0


class AsyncInvoker:
    """Queues, dispatches, retries and settles asynchronous events."""

    def __init__(self, service: Service, clock: SimClock, duplicate_probability: float) -> None:
        self.service = service
        self.clock = clock
        self.duplicate_probability = duplicate_probability
        # Bound once: a bound method is a new object on every attribute access.
        self._dispatch_cb = self._dispatch
        self._ended_cb = self._ended

    def submit_payload(
        self,
        fn: Function,
        payload: Any,
        source: str | None = None,
        invoked_arn: str | None = None,
    ) -> str:
        """Accept an event whose payload is not encoded yet (checked against the 1 MB quota)."""
        body = encode_payload(payload, MAX_ASYNC_REQUEST_BYTES)
        return self.submit(fn, body, source, invoked_arn)

    def submit(
        self,
        fn: Function,
        body: str,
        source: str | None = None,
        invoked_arn: str | None = None,
    ) -> str:
        """Accept an event (202) and queue it; returns its request id.

        ``invoked_arn`` is the ARN as the caller named the function, which the
        handler sees as ``context.invoked_function_arn`` (default unqualified).
        The event is dispatched right after the engine's running callback.
        """
        inv = self._accept(fn, body, source, invoked_arn)
        self.service.engine.soon(self._dispatch_cb, inv)
        return inv.request_id

    def submit_now(self, fn: Function, body: str, source: str | None = None) -> str:
        """As :meth:`submit`, and dispatch the event before returning.

        For a caller that is itself an engine callback and does nothing after
        this call: ``submit``'s ``engine.soon`` would run the dispatch next
        anyway (nothing else is due before it), so calling it here keeps the
        order of everything and saves the engine a step.
        """
        inv = self._accept(fn, body, source, None)
        self._dispatch(inv)
        return inv.request_id

    def _accept(
        self, fn: Function, body: str, source: str | None, invoked_arn: str | None
    ) -> Invocation:
        """The accepted event, its ``accepted`` and ``queued`` records written."""
        service = self.service
        now = service.engine.now
        request_id = service.new_request_id()
        inv = Invocation(fn, body, request_id, "Event", self._ended_cb, now, invoked_arn)
        append = service.trace.append
        record = {
            "t": now,
            "kind": "accepted",
            "function": fn.name,
            "request_id": request_id,
            "status_code": 202,
        }
        if source is not None:
            record["source"] = source
        append(record)
        append({"t": now, "kind": "queued", "function": fn.name, "request_id": request_id})
        service.outstanding += 1
        return inv

    def _dispatch(self, inv: Invocation) -> None:
        service = self.service
        fn = inv.function
        now = service.engine.now
        record = {
            "t": now,
            "kind": "dequeued",
            "function": fn.name,
            "request_id": inv.request_id,
            "age": now - inv.accepted_at,
        }
        if inv.duplicate:
            record["duplicate"] = True
        service.trace.append(record)
        if fn.reserved_concurrency == 0:
            self._fail(inv, "ZeroReservedConcurrency")
            return
        reason = service.start(inv)
        if reason is None:
            return
        inv.throttles += 1
        service.trace.append(refusal_record(now, fn, inv.request_id, reason))
        # Throttles and system errors share one backoff, apart from MaximumRetryAttempts.
        delay = THROTTLE_BACKOFF_FIRST * 2.0 ** min(inv.throttles - 1, 16)
        self._retry_or_age(
            inv,
            min(delay, THROTTLE_BACKOFF_MAX),
            "service_error" if reason == SERVICE_ERROR else "throttle",
        )

    def _retry_or_age(self, inv: Invocation, delay: float, reason: str) -> None:
        service = self.service
        now = service.engine.now
        if now + delay - inv.accepted_at > inv.function.maximum_event_age_in_seconds:
            self._fail(inv, "EventAgeExceeded")
            return
        service.trace.append(
            {
                "t": now,
                "kind": "retry_scheduled",
                "function": inv.function.name,
                "request_id": inv.request_id,
                "delay": delay,
                "reason": reason,
            }
        )
        # Retries wait 60 s, 120 s or a backoff step: a few delays shared by many.
        service.engine.after(delay, self._dispatch_cb, inv)

    def _ended(self, inv: Invocation) -> None:
        if inv.status == "ok":
            self._succeed(inv)
            return
        inv.error_attempts += 1
        fn = inv.function
        if inv.error_attempts > fn.maximum_retry_attempts:
            self._fail(inv, "RetriesExhausted")
        else:
            delay = FUNCTION_ERROR_DELAYS[min(inv.error_attempts, 2) - 1]
            self._retry_or_age(inv, delay, "function_error")

    # -- settling ----------------------------------------------------------------
    def _succeed(self, inv: Invocation) -> None:
        service = self.service
        fn = inv.function
        now = service.engine.now
        if fn.on_success is not None:
            self._deliver(inv, fn.on_success, "Success")
        record = {
            "t": now,
            "kind": "succeeded",
            "function": fn.name,
            "request_id": inv.request_id,
            "approximate_invoke_count": inv.attempt,
        }
        if inv.duplicate:
            record["duplicate"] = True
        service.trace.append(record)
        service.outstanding -= 1
        p = fn.duplicate_probability
        if p is None:
            p = self.duplicate_probability
        # A redelivery is the same queued event: never past its maximum age.
        if (
            p
            and not inv.duplicate
            and now - inv.accepted_at <= fn.maximum_event_age_in_seconds
            and service.engine.rng.random() < p
        ):
            copy = Invocation(
                fn, inv.body, inv.request_id, "Event", self._ended, inv.accepted_at, inv.invoked_arn
            )
            copy.duplicate = True
            service.trace.append(
                {"t": now, "kind": "duplicate", "function": fn.name, "request_id": inv.request_id}
            )
            service.outstanding += 1
            service.engine.soon(self._dispatch, copy)

    def _fail(self, inv: Invocation, condition: str) -> None:
        service = self.service
        fn = inv.function
        if fn.on_failure is not None:
            self._deliver(inv, fn.on_failure, condition)
        if fn.dead_letter_target is not None:
            self._dead_letter(inv, condition)
        record = {
            "t": service.engine.now,
            "kind": "dropped",
            "function": fn.name,
            "request_id": inv.request_id,
            "reason": condition,
            "approximate_invoke_count": inv.attempt,
        }
        if inv.duplicate:
            record["duplicate"] = True
        service.trace.append(record)
        service.outstanding -= 1

    def _deliver(self, inv: Invocation, target: Any, condition: str) -> None:
        service = self.service
        now = service.engine.now
        record = invocation_record(inv, condition, self.clock.iso(now))
        problem = deliver_record(
            target, record, condition == "Success", inv.function, self.submit_payload
        )
        self._record_delivery(inv, "destination", condition, target, problem)

    def _dead_letter(self, inv: Invocation, condition: str) -> None:
        target = inv.function.dead_letter_target
        payload = inv.error_payload() if inv.attempt else None
        message = payload.get("errorMessage", "") if payload else "Rate Exceeded."
        problem = deliver_dead_letter(target, inv, message)
        self._record_delivery(inv, "dlq", condition, target, problem)

    def _record_delivery(
        self, inv: Invocation, via: str, condition: str, target: Any, problem: str | None
    ) -> None:
        """A ``destination``/``dlq`` record, or ``delivery_failed`` saying why."""
        record = {
            "t": self.service.engine.now,
            "kind": via if problem is None else "delivery_failed",
            "function": inv.function.name,
            "request_id": inv.request_id,
            "condition": condition,
            "target": target.arn,
        }
        if problem is not None:
            record["via"] = via
            record["error"] = problem
        self.service.trace.append(record)
