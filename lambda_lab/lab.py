"""``Lab``: one virtual AWS account, with boto3's operation names in snake_case.

A lab owns one :class:`~lambda_lab.sim.world.World`: a virtual clock, a
seeded random generator, the trace, and every resource in it.  Nothing
happens until time moves: ``invoke`` (synchronous) runs the world until its
response exists; ``run(until=...)`` advances it.

Each method checks its input through :mod:`lambda_lab.config` (so bad input
fails before anything changes) and delegates to the simulator; the docstrings
here are the ones students read in ``help()``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .config import (
    DEFAULT_EVENT_BUS_NAME,
    DEFAULT_INTEGRATION_TIMEOUT,
    DEFAULT_MEMORY_SIZE,
    DEFAULT_MESSAGE_RETENTION_PERIOD,
    DEFAULT_TIMEOUT,
    DEFAULT_VISIBILITY_TIMEOUT,
    BucketSettings,
    ConcurrencySettings,
    EventBusSettings,
    EventSourceMappingSettings,
    FunctionConfigurationSettings,
    FunctionSettings,
    LabConfig,
    QueueSettings,
    TopicSettings,
    validate,
)
from .errors import (
    InvalidParameterValueException,
    LambdaLabError,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .sim.callers.apigateway import ApiGateway
from .sim.callers.clients import SdkClient
from .sim.callers.traffic import Pattern, TrafficGenerator
from .sim.compute.durations import as_sampler
from .sim.compute.functions import (
    Function,
    check_code,
    check_handler,
    environment_variables,
)
from .sim.compute.logs import filter_terms, matches
from .sim.invoke.event_config import (
    apply_event_invoke_config,
    build_event_invoke_config,
    dead_letter_target,
    describe_event_invoke_config,
    existing_event_invoke_config,
)
from .sim.invoke.payloads import MAX_SYNC_REQUEST_BYTES, encode_payload
from .sim.invoke.sync import InvocationResponse, invoke_and_wait
from .sim.mappings.rules import KAFKA_DEFAULT_WINDOW, UNKNOWN_SOURCE, effective_config
from .sim.mappings.sqs import SqsMapping
from .sim.mappings.streams import KafkaMapping, StreamMapping
from .sim.patterns import compile_filter_criteria
from .sim.resources.dynamodb import Table
from .sim.resources.eventbridge import EventBus
from .sim.resources.kafka import KafkaCluster
from .sim.resources.kinesis import Stream
from .sim.resources.s3 import Bucket
from .sim.resources.sns import Topic
from .sim.resources.sqs import UNKNOWN_DLQ, Queue
from .sim.trace.metrics import (
    function_metrics,
    mapping_metrics,
    mapping_simulation_metrics,
    simulation_metrics,
)
from .sim.world import World

__all__ = ["Lab"]

#: Defaults of our own (AWS has none): simulated seconds of each phase.
DEFAULT_DURATION = 0.1
DEFAULT_INIT_DURATION = 0.25
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")

_UNSET: Any = object()


class Lab:
    """A virtual AWS account in one Region.  ``Lab(seed=7)``; see ``LabConfig``."""

    def __init__(self, seed: int = 0, **settings: Any) -> None:
        self.config = validate(LabConfig, seed=seed, **settings)
        self.world = world = World(self.config)
        # The world's parts, under the names notebooks and tests already use.
        self.clock = world.clock
        self.engine = world.engine
        self.trace = world.trace
        self.runtime = world.runtime
        self.service = world.service

    # -- time ----------------------------------------------------------------
    @property
    def now(self) -> float:
        """Virtual seconds since the lab started."""
        return self.engine.now

    def run(self, until: float | None = None) -> Lab:
        """Advance virtual time until nothing is left to do, or until ``until``."""
        self._not_from_a_handler("run")
        if until is not None and until < self.engine.now:
            raise InvalidParameterValueException(
                f"until must be at least the current time {self.engine.now:g}, got {until!r}"
            )
        with self.runtime:
            self.engine.run(until)
        self.world.sweep()  # what expired unread is recorded by the time run() returns
        return self

    def settle(self) -> Lab:
        """Advance virtual time until every accepted invocation has settled.

        Synchronous requests have their response and asynchronous events their
        final outcome (retries included); unlike ``run()``, idle environments
        are not waited out, so the clock stops right after the last outcome.
        Traffic still to arrive keeps arriving while anything is unsettled.
        """
        self._not_from_a_handler("settle")
        service = self.service
        self.world.run_while(lambda: service.outstanding > 0)
        self.world.sweep()
        return self

    def _not_from_a_handler(self, what: str) -> None:
        # A handler runs at one instant of the world; moving the whole world's clock
        # from inside it would run the world past the handler's own end.
        if self.runtime.in_handler():
            raise LambdaLabError(
                f"lab.{what}() cannot be called from inside a handler; a handler may "
                "invoke other functions with lab.invoke()"
            )

    # -- naming ----------------------------------------------------------------
    def function_arn(self, function_name: str) -> str:
        """The ARN of a function of this lab's account (it need not exist)."""
        return self.world.registry.function_arn(function_name)

    def get_function(self, function_name: str) -> Function:
        """The function with this name or ARN (``$LATEST`` is the only version)."""
        return self.world.registry.function(function_name)

    @property
    def functions(self) -> dict[str, Function]:
        """Every function, by name."""
        return dict(self.world.registry.functions)

    @property
    def resources(self) -> dict[str, Any]:
        """Every function and resource, by ARN."""
        return dict(self.world.registry.resources)

    # -- functions -------------------------------------------------------------
    def create_function(
        self,
        function_name: str,
        handler: Callable[[Any, Any], Any] | str,
        *,
        code: str | None = None,
        timeout: int = DEFAULT_TIMEOUT,
        memory_size: int = DEFAULT_MEMORY_SIZE,
        reserved_concurrency: int | None = None,
        duration: Any = DEFAULT_DURATION,
        init_duration: Any = DEFAULT_INIT_DURATION,
        environment: dict[str, Any] | None = None,
        dead_letter_config: Any = None,
    ) -> Function:
        """Create a function whose handler is real Python code.

        ``handler`` is a callable ``(event, context)``.  Or give ``code`` (the
        source of ``lambda_function.py``) and ``handler`` as the name of its
        handler (``"lambda_function.lambda_handler"``): every execution
        environment then runs that module on its own, so module-level state
        lives per environment and is lost on a timeout, as on AWS.

        ``duration`` and ``init_duration`` are the simulated seconds of the
        invoke and Init phases: a number, a ``Distribution``, or a callable of
        the event.  Defaults (0.1 s and 0.25 s) are ours.
        ``dead_letter_config`` is ``{"TargetArn": arn}``, a queue or a topic.
        """
        registry = self.world.registry
        settings = validate(
            FunctionSettings,
            function_name=function_name,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrency=reserved_concurrency,
        )
        registry.check_new_function(function_name)
        check_handler(handler, code)
        samplers = as_sampler("duration", duration), as_sampler("init_duration", init_duration)
        variables = environment_variables(environment)
        if reserved_concurrency is not None:
            self.service.check_reservation(reserved_concurrency, previous=0)
        dlq = None
        if dead_letter_config is not None:
            dlq = dead_letter_target(registry, dead_letter_config)
        check_code(code)
        fn = Function(
            name=settings.function_name,
            arn=registry.function_arn(function_name),
            handler=handler,
            code=code,
            timeout=settings.timeout,
            memory_size=settings.memory_size,
            reserved_concurrency=None,
            duration=samplers[0],
            init_duration=samplers[1],
            environment=variables,
        )
        fn.dead_letter_target = dlq
        registry.add_function(fn)
        if reserved_concurrency is not None:
            self.service.set_reservation(fn, reserved_concurrency)
        return fn

    def put_function_concurrency(
        self, function_name: str, reserved_concurrent_executions: int
    ) -> dict[str, int]:
        """Reserve concurrency: a floor no other function can take and a hard ceiling."""
        fn = self.get_function(function_name)
        validate(ConcurrencySettings, reserved_concurrent_executions=reserved_concurrent_executions)
        previous = fn.reserved_concurrency or 0
        self.service.check_reservation(reserved_concurrent_executions, previous)
        self.service.set_reservation(fn, reserved_concurrent_executions)
        return {"ReservedConcurrentExecutions": reserved_concurrent_executions}

    def delete_function_concurrency(self, function_name: str) -> None:
        """Remove the reservation: the function shares the unreserved pool again."""
        self.service.set_reservation(self.get_function(function_name), None)

    def get_function_concurrency(self, function_name: str) -> dict[str, int]:
        """``{"ReservedConcurrentExecutions": n}``, or ``{}`` without a reservation."""
        fn = self.get_function(function_name)
        if fn.reserved_concurrency is None:
            return {}
        return {"ReservedConcurrentExecutions": fn.reserved_concurrency}

    def get_account_settings(self) -> dict[str, Any]:
        """``AccountLimit`` and ``AccountUsage`` as ``GetAccountSettings`` returns them."""
        return {
            "AccountLimit": {
                "ConcurrentExecutions": self.config.concurrent_executions,
                "UnreservedConcurrentExecutions": self.service.unreserved_limit,
            },
            "AccountUsage": {"FunctionCount": len(self.world.registry.functions)},
        }

    def update_function_configuration(
        self,
        function_name: str,
        *,
        dead_letter_config: Any = _UNSET,
        duplicate_delivery_probability: float | None = _UNSET,
    ) -> Function:
        """Change the function's DLQ (``{"TargetArn": arn}``, a resource, or None) and
        its own duplicate-delivery probability (None: the lab's)."""
        fn = self.get_function(function_name)
        probability = fn.duplicate_probability
        if duplicate_delivery_probability is not _UNSET:
            probability = validate(
                FunctionConfigurationSettings,
                duplicate_delivery_probability=duplicate_delivery_probability,
            ).duplicate_delivery_probability
        dlq = fn.dead_letter_target
        if dead_letter_config is not _UNSET:
            dlq = None
            if dead_letter_config is not None:
                dlq = dead_letter_target(self.world.registry, dead_letter_config)
        fn.dead_letter_target, fn.duplicate_probability = dlq, probability
        return fn

    # -- invoking --------------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        invocation_type: str = "RequestResponse",
        log_type: str = "None",
    ) -> InvocationResponse:
        """Invoke a function, as ``lambda.invoke`` does.

        ``RequestResponse`` runs the world until the response exists and
        returns it (a function error is still status 200).  ``Event`` queues
        the event and returns 202 at once.  ``DryRun`` checks and returns 204.
        Errors that stop the function from running are raised:
        ``ResourceNotFoundException``, ``TooManyRequestsException``,
        ``RequestTooLargeException``, ``InvalidRequestContentException``.
        ``log_type="Tail"`` adds ``log_result``: the last 4 KB of the
        invocation's log, base64-encoded.  As AWS says, it applies to
        synchronous invocations only: with ``Event`` or ``DryRun`` it is ignored.
        """
        if log_type not in LOG_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{log_type}' at 'logType' failed to "
                "satisfy constraint: Member must satisfy enum value set: [Tail, None] "
                f"(log_type must be one of {', '.join(LOG_TYPES)}, got {log_type!r})"
            )
        if invocation_type not in INVOCATION_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                f"[Event, RequestResponse, DryRun] (invocation_type must be one of "
                f"{', '.join(INVOCATION_TYPES)}, got {invocation_type!r})"
            )
        # The ARN as named here (qualified or not) is the handler's invoked_function_arn.
        fn, invoked_arn = self.world.registry.lookup(function_name)
        if invocation_type == "Event":
            now = self.engine.now
            request_id = self.world.events.submit_payload(fn, payload, invoked_arn=invoked_arn)
            return InvocationResponse(
                status_code=202,
                request_id=request_id,
                executed_version=None,
                function_name=fn.name,
                start=now,
                end=now,
            )
        body = encode_payload(payload, MAX_SYNC_REQUEST_BYTES)
        if invocation_type == "DryRun":
            return InvocationResponse(
                status_code=204, request_id="", executed_version=None, function_name=fn.name
            )
        response = invoke_and_wait(self.service, self.runtime, fn, body, invoked_arn)
        if log_type == "Tail":
            tail = self.world.logs.tail(
                self.trace.records, fn.name, fn.memory_size, response.request_id, fn.code
            )
            response = replace(response, log_result=base64.b64encode(tail).decode("ascii"))
        return response

    # -- event invoke config -------------------------------------------------------
    def put_function_event_invoke_config(
        self,
        function_name: str,
        maximum_retry_attempts: int | None = None,
        maximum_event_age_in_seconds: int | None = None,
        destination_config: dict | None = None,
    ) -> dict[str, Any]:
        """Replace the function's asynchronous settings: fields left out are removed.

        ``destination_config`` is ``{"on_success": target, "on_failure": target}``
        with resources or ARNs, or AWS's ``{"OnFailure": {"Destination": arn}}``.
        """
        registry = self.world.registry
        fn = self.get_function(function_name)
        config = build_event_invoke_config(
            registry,
            fn,
            maximum_retry_attempts,
            maximum_event_age_in_seconds,
            destination_config,
            None,
        )
        return apply_event_invoke_config(registry, fn, config)

    def update_function_event_invoke_config(
        self,
        function_name: str,
        maximum_retry_attempts: int | None = _UNSET,
        maximum_event_age_in_seconds: int | None = _UNSET,
        destination_config: dict | None = _UNSET,
    ) -> dict[str, Any]:
        """Change only the given fields of the function's asynchronous settings."""
        registry = self.world.registry
        fn = self.get_function(function_name)
        current = fn.event_invoke_config
        retries = current.maximum_retry_attempts if current else None
        age = current.maximum_event_age_in_seconds if current else None
        if maximum_retry_attempts is not _UNSET:
            retries = maximum_retry_attempts
        if maximum_event_age_in_seconds is not _UNSET:
            age = maximum_event_age_in_seconds
        destinations = None if destination_config is _UNSET else destination_config
        config = build_event_invoke_config(registry, fn, retries, age, destinations, current)
        return apply_event_invoke_config(registry, fn, config)

    def get_function_event_invoke_config(self, function_name: str) -> dict[str, Any]:
        """The function's asynchronous settings, as AWS describes them."""
        fn = self.get_function(function_name)
        return describe_event_invoke_config(fn, existing_event_invoke_config(fn))

    def delete_function_event_invoke_config(self, function_name: str) -> None:
        """Remove the function's asynchronous settings: AWS's defaults apply again."""
        fn = self.get_function(function_name)
        existing_event_invoke_config(fn)
        apply_event_invoke_config(self.world.registry, fn, None)

    # -- resources -----------------------------------------------------------------
    def create_queue(
        self,
        queue_name: str,
        *,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
        message_retention_period: int = DEFAULT_MESSAGE_RETENTION_PERIOD,
        redrive_policy: dict | None = None,
        delay_seconds: int = 0,
        receive_message_wait_time_seconds: int = 0,
        maximum_message_size: int = 1048576,
        content_based_deduplication: bool = False,
    ) -> Queue:
        """An SQS queue (a name ending in ``.fifo`` makes a FIFO queue).

        ``redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 5}``
        moves a message to ``dlq`` (a queue of the same type, or its ARN) once it
        has been received that many times (1 to 1,000).  ``delay_seconds``
        (0-900) hides each new message that long; ``maximum_message_size``
        (1,024 B to 1 MiB) caps a body; ``receive_message_wait_time_seconds``
        (0-20) is the long-polling wait, recorded for ``get_queue_attributes``
        (in virtual time a poller is woken by the message itself).  FIFO queues
        deduplicate within 5 minutes by ``message_deduplication_id``, or by the
        body's SHA-256 with ``content_based_deduplication=True``.
        """
        settings = validate(
            QueueSettings,
            queue_name=queue_name,
            visibility_timeout=visibility_timeout,
            message_retention_period=message_retention_period,
            redrive_policy=redrive_policy,
            delay_seconds=delay_seconds,
            receive_message_wait_time_seconds=receive_message_wait_time_seconds,
            maximum_message_size=maximum_message_size,
            content_based_deduplication=content_based_deduplication,
        )
        if settings.content_based_deduplication and not settings.fifo:
            raise InvalidParameterValueException(
                "Unknown Attribute ContentBasedDeduplication. (content_based_deduplication "
                f"applies to FIFO queues only, got queue_name {queue_name!r})"
            )
        registry = self.world.registry
        queue = Queue(
            settings.queue_name,
            self.world,
            visibility_timeout=settings.visibility_timeout,
            message_retention_period=settings.message_retention_period,
            delay_seconds=settings.delay_seconds,
            receive_message_wait_time_seconds=settings.receive_message_wait_time_seconds,
            maximum_message_size=settings.maximum_message_size,
            content_based_deduplication=settings.content_based_deduplication,
        )
        registry.check_new(queue.arn)
        if settings.redrive_policy is not None:
            field = "redrive_policy.deadLetterTargetArn"
            dlq = registry.resolve(
                settings.redrive_policy.dead_letter_target_arn, field, UNKNOWN_DLQ
            )
            if not isinstance(dlq, Queue) or dlq.fifo != queue.fifo:
                kind = "FIFO" if queue.fifo else "standard"
                raise InvalidParameterValueException(
                    f"{field} must be a {kind} queue like {queue_name!r}, got {dlq.arn}"
                )
            count = settings.redrive_policy.max_receive_count
            queue.redrive_policy = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": count}
            queue.dead_letter_queue, queue.max_receive_count = dlq, count
        return registry.add(queue)

    def create_stream(
        self, stream_name: str, shard_count: int = 1, retention_period_hours: int = 24
    ) -> Stream:
        """A Kinesis data stream: partition keys hash (MD5) to ``shard_count`` shards."""
        stream = Stream(
            stream_name,
            self.world,
            shard_count=shard_count,
            retention_period_hours=retention_period_hours,
        )
        return self.world.registry.add(stream)

    def create_kafka_cluster(self, cluster_name: str) -> KafkaCluster:
        """A Kafka cluster (Amazon MSK): ``cluster.create_topic(topic, partitions=1)``, then
        ``cluster.produce(topic, value, key=None, headers=None)``; keys pick partitions."""
        return self.world.registry.add(KafkaCluster(cluster_name, self.world))

    def create_table(
        self,
        table_name: str,
        key_schema: list[dict[str, str]],
        stream_specification: dict[str, Any] | None = None,
    ) -> Table:
        """A DynamoDB table; with ``stream_specification={"StreamEnabled": True,
        "StreamViewType": ...}`` its writes go to a stream at ``table.latest_stream_arn``."""
        table = Table(table_name, self.world, key_schema, stream_specification)
        registry = self.world.registry
        registry.check_new(table.arn)
        registry.add(table)
        if table.stream is not None:
            registry.add(table.stream)
        return table

    def create_topic(self, name: str) -> Topic:
        """An SNS topic (a name ending in ``.fifo`` makes a FIFO topic)."""
        settings = validate(TopicSettings, name=name)
        return self.world.registry.add(Topic(settings.name, self.world))

    def create_event_bus(self, name: str = DEFAULT_EVENT_BUS_NAME) -> EventBus:
        """An EventBridge event bus that keeps every event put on it."""
        settings = validate(EventBusSettings, name=name)
        return self.world.registry.add(EventBus(settings.name, self.world))

    def create_bucket(self, bucket: str) -> Bucket:
        """An S3 bucket (3 to 63 lowercase letters, digits, dots and hyphens)."""
        settings = validate(BucketSettings, bucket=bucket)
        return self.world.registry.add(Bucket(settings.bucket, self.world))

    # -- event source mappings ------------------------------------------------------
    def create_event_source_mapping(
        self,
        event_source_arn: Any,
        function_name: str,
        *,
        enabled: bool = True,
        batch_size: int | None = None,
        maximum_batching_window_in_seconds: int | None = None,
        function_response_types: list[str] | None = None,
        scaling_config: dict | None = None,
        filter_criteria: dict | None = None,
        starting_position: str | None = None,
        starting_position_timestamp: float | None = None,
        parallelization_factor: int | None = None,
        maximum_retry_attempts: int | None = None,
        maximum_record_age_in_seconds: int | None = None,
        bisect_batch_on_function_error: bool | None = None,
        destination_config: dict | None = None,
        tumbling_window_in_seconds: int | None = None,
        topics: list[str] | None = None,
    ) -> dict[str, Any]:
        """Poll a source and invoke a function with batches (``create_event_source_mapping``).

        ``event_source_arn`` is a queue (or its ARN).  Parameters left out take
        the source's defaults (SQS: ``batch_size`` 10, no window).  Returns
        boto3's description, ``State`` ``"Creating"``; polling starts at the
        next step of virtual time.  See :mod:`lambda_lab.sim.mappings.sqs` for
        how batches live, fail and scale.
        """
        settings = validate(
            EventSourceMappingSettings,
            event_source_arn=event_source_arn,
            function_name=function_name,
            enabled=enabled,
            batch_size=batch_size,
            maximum_batching_window_in_seconds=maximum_batching_window_in_seconds,
            function_response_types=function_response_types,
            scaling_config=scaling_config,
            filter_criteria=filter_criteria,
            starting_position=starting_position,
            starting_position_timestamp=starting_position_timestamp,
            parallelization_factor=parallelization_factor,
            maximum_retry_attempts=maximum_retry_attempts,
            maximum_record_age_in_seconds=maximum_record_age_in_seconds,
            bisect_batch_on_function_error=bisect_batch_on_function_error,
            destination_config=destination_config,
            tumbling_window_in_seconds=tumbling_window_in_seconds,
            topics=topics,
        )
        world = self.world
        source = world.registry.resolve(
            settings.event_source_arn, "event_source_arn", UNKNOWN_SOURCE
        )
        try:
            fn = world.registry.function(settings.function_name)
        except ResourceNotFoundException:
            raise ResourceNotFoundException(
                f"Function does not exist (function_name {function_name!r})"
            ) from None
        for mapping in world.mappings.values():
            if mapping.source is source and mapping.function is fn:
                raise ResourceConflictException(
                    f"An event source mapping with {mapping.source_kind.upper()} arn "
                    f'(" {source.arn} ") and function (" {fn.name} ") already exists. Please '
                    f"update or delete the existing mapping with UUID {mapping.uuid}"
                )
        config = effective_config(settings, source, fn, world.registry)
        matcher = compile_filter_criteria(settings.filter_criteria)
        poller = {"sqs": SqsMapping, "kafka": KafkaMapping}.get(source.kind, StreamMapping)
        mapping = poller(world, world.new_id(), fn, source, config, matcher, settings.enabled)
        world.mappings[mapping.uuid] = mapping
        return mapping.describe()

    def update_event_source_mapping(self, uuid: str, **changes: Any) -> dict[str, Any]:
        """Change a mapping's settings, as ``lambda.update_event_source_mapping``.

        Takes the parameters of :meth:`create_event_source_mapping` except the
        source; those not given keep their values.  ``enabled=False`` stops
        polling (batches in flight finish).
        """
        mapping = self._mapping(uuid)
        current = self._mapping_parameters(mapping)
        unknown = set(changes) - set(current) - {"enabled"}
        if unknown or "event_source_arn" in changes:
            raise InvalidParameterValueException(
                "update_event_source_mapping cannot change "
                f"{sorted(unknown or ['event_source_arn'])}"
            )
        values = {**current, **changes}
        values.setdefault("enabled", mapping.enabled)
        settings = validate(
            EventSourceMappingSettings,
            event_source_arn=mapping.source,
            function_name=changes.get("function_name", mapping.function.name),
            **{k: v for k, v in values.items() if k != "function_name"},
        )
        if settings.function_name not in (mapping.function.name, mapping.function.arn):
            raise InvalidParameterValueException(
                "function_name cannot change: delete the mapping and create another"
            )
        config = effective_config(settings, mapping.source, mapping.function, self.world.registry)
        matcher = compile_filter_criteria(settings.filter_criteria)
        mapping.update(config, matcher, settings.enabled)
        return mapping.describe()

    def get_event_source_mapping(self, uuid: str) -> dict[str, Any]:
        """A mapping's description, as ``lambda.get_event_source_mapping``."""
        return self._mapping(uuid).describe()

    def list_event_source_mappings(
        self, event_source_arn: Any = None, function_name: str | None = None
    ) -> dict[str, Any]:
        """``{"EventSourceMappings": [...]}``, optionally for one source or function."""
        source = None
        if event_source_arn is not None:
            source = self.world.registry.resolve(
                event_source_arn, "event_source_arn", UNKNOWN_SOURCE
            )
        fn = self.world.registry.function(function_name) if function_name is not None else None
        return {
            "EventSourceMappings": [
                m.describe()
                for m in self.world.mappings.values()
                if (source is None or m.source is source) and (fn is None or m.function is fn)
            ]
        }

    def delete_event_source_mapping(self, uuid: str) -> dict[str, Any]:
        """Stop and remove a mapping; returns its description, ``State`` ``"Deleting"``."""
        mapping = self._mapping(uuid)
        mapping.delete()
        del self.world.mappings[mapping.uuid]
        return mapping.describe()

    def _mapping(self, uuid: str) -> Any:
        mapping = self.world.mappings.get(uuid) if isinstance(uuid, str) else None
        if mapping is None:
            raise ResourceNotFoundException(
                f"The resource you requested does not exist. (no event source mapping {uuid!r})"
            )
        return mapping

    @staticmethod
    def _mapping_parameters(mapping: Any) -> dict[str, Any]:
        config = mapping.config
        out = {
            "function_name": mapping.function.name,
            "batch_size": config.batch_size,
            "maximum_batching_window_in_seconds": config.maximum_batching_window_in_seconds,
            "function_response_types": (
                ["ReportBatchItemFailures"] if config.report_batch_item_failures else None
            ),
            "scaling_config": (
                {"MaximumConcurrency": config.maximum_concurrency}
                if config.maximum_concurrency is not None
                else None
            ),
            "filter_criteria": config.filter_criteria,
        }
        if mapping.source_kind == "sqs":
            return out
        # Streams and Kafka: their own settings carry over too (the source decides
        # which ones apply, so only those set are passed).
        out.update(
            starting_position=config.starting_position,
            starting_position_timestamp=config.starting_position_timestamp,
            maximum_retry_attempts=config.maximum_retry_attempts,
            maximum_record_age_in_seconds=config.maximum_record_age_in_seconds,
            destination_config=(
                {"on_failure": config.on_failure} if config.on_failure is not None else None
            ),
        )
        if mapping.source_kind == "kafka":
            out["topics"] = config.topics
            if config.maximum_batching_window_in_seconds == KAFKA_DEFAULT_WINDOW:
                out["maximum_batching_window_in_seconds"] = None  # the default again
        else:
            out["bisect_batch_on_function_error"] = config.bisect_batch_on_function_error
        return out

    # -- callers -----------------------------------------------------------------
    def create_client(self, name: str | None = None, **config: Any) -> SdkClient:
        """A simulated SDK client: ``mode`` (legacy, standard, none), ``max_attempts``
        (retries, botocore's meaning), ``total_max_attempts``, ``read_timeout`` (60 s)."""
        return SdkClient(self.world, config, name=name)

    def create_api_gateway(
        self,
        function_name: str,
        integration_timeout: float = DEFAULT_INTEGRATION_TIMEOUT,
        **kwargs: Any,
    ) -> ApiGateway:
        """An API Gateway REST API (Lambda proxy) in front of a function: 504 after
        ``integration_timeout`` while the function runs on."""
        return ApiGateway(self.world, function_name, integration_timeout, **kwargs)

    def add_traffic(
        self,
        function_name: str,
        pattern: Pattern,
        payload: Any = None,
        invocation_type: str = "RequestResponse",
        **kwargs: Any,
    ) -> TrafficGenerator:
        """Requests arriving as ``pattern`` says (``Poisson``, ``Constant``, ``Burst``,
        ``Schedule``), from ``start`` (default now) until ``stop`` or ``count``;
        ``client=`` routes them through an SDK client or an API Gateway."""
        return TrafficGenerator(
            self.world, function_name, pattern, payload, invocation_type, **kwargs
        )

    # -- observing -------------------------------------------------------------
    def logs(
        self,
        function_name: str,
        filter_pattern: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[dict[str, Any]]:
        """The function's CloudWatch Logs events, as ``logs.filter_log_events`` returns them.

        Each event is ``{"logStreamName", "timestamp", "message",
        "ingestionTime", "eventId"}`` (times in epoch milliseconds, simulated),
        in time order across the log group ``/aws/lambda/<name>``.
        ``filter_pattern`` is CloudWatch's simplest syntax: terms separated by
        spaces (``"..."`` for a phrase), all of which must appear, case-sensitive.
        ``start_time`` / ``end_time`` (epoch ms) keep events in that window,
        both ends included.
        """
        fn = self.get_function(function_name)
        terms = filter_terms(filter_pattern)
        for name, value in (("start_time", start_time), ("end_time", end_time)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise InvalidParameterValueException(
                    f"{name} must be epoch milliseconds (an int >= 0), got {value!r}"
                )
        if start_time is not None and end_time is not None and end_time < start_time:
            raise InvalidParameterValueException(
                f"end_time ({end_time}) must not be before start_time ({start_time})"
            )
        events = self.world.logs.events(self.trace.records, fn.name, fn.memory_size, code=fn.code)
        return [
            event
            for event in events
            if (start_time is None or event["timestamp"] >= start_time)
            and (end_time is None or event["timestamp"] <= end_time)
            and matches(event["message"], terms)
        ]

    def metrics(self, function_name: str) -> dict[str, Any]:
        """CloudWatch's metrics of a function (``AWS/Lambda``), derived from the trace.

        Only metrics CloudWatch really publishes, under its names and units:
        ``Invocations``, ``Errors``, ``Throttles``, ``Duration`` (ms: Average,
        Minimum, Maximum, p50, p99), ``ConcurrentExecutions`` (the peak) and,
        for asynchronous use, ``AsyncEventsReceived``, ``AsyncEventAge``,
        ``AsyncEventsDropped``, ``DestinationDeliveryFailures`` and
        ``DeadLetterErrors``.  The simulator's own figures are in
        :meth:`simulation_metrics`.
        """
        fn = self.get_function(function_name)
        return function_metrics(self.trace, fn.name, self.engine.now)

    def simulation_metrics(self, function_name: str) -> dict[str, Any]:
        """lambda_lab's own figures, which CloudWatch does not publish.

        ``cold_starts`` (new execution environments) and ``environments``:
        time averages of environments in existence (``total``), ``busy`` and
        ``idle`` since the lab started.
        """
        fn = self.get_function(function_name)
        return simulation_metrics(self.trace, fn.name, self.engine.now)

    def mapping_metrics(self, uuid: str) -> dict[str, Any]:
        """CloudWatch's metrics of an event source mapping: ``IteratorAge``, ``OffsetLag``,
        and for SQS ``NumberOfMessagesDeleted`` and the queue depth series (see
        :func:`lambda_lab.sim.trace.metrics.mapping_metrics`)."""
        return mapping_metrics(self.trace, self._mapping(uuid).uuid)

    def mapping_simulation_metrics(self, uuid: str) -> dict[str, Any]:
        """lambda_lab's own figures of a mapping: batches by trigger, failures by
        reason, filtered messages, the pollers' concurrency, bisects."""
        return mapping_simulation_metrics(self.trace, self._mapping(uuid).uuid)

    def __repr__(self) -> str:
        return (
            f"<Lab seed={self.config.seed} t={self.engine.now:g}s "
            f"functions={len(self.world.registry.functions)} trace={len(self.trace)} records>"
        )
