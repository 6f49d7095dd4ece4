"""The flow scene: the actors of a scenario, and tokens that follow the trace between them.

Actors, in columns from left to right: who calls (a caller, API Gateway, an
SDK client) and the event sources of mappings (queues, streams, topics);
the Lambda service; Lambda's internal queue for asynchronous events and the
pollers of mappings; the execution environments; and where things end:
destinations, dead-letter queues, and the ``throttled``, ``dropped`` and
``filtered`` sinks.  Only the actors the trace uses are drawn.  A stream batch
given up travels from its poller to the on-failure destination.

Tokens: one per attempt (from the caller, or from the queue for a retry or
a duplicate, or from the poller for a batch, to its environment), one per
delivery to a destination or DLQ, one per throttle, drop, redrive and
filtered message.  A token's ``times`` are *flow time*: virtual time with
idle stretches compressed (as on the timeline) and every hop given a
moment, so a retry a minute later does not leave the picture still for
most of the play; its label says the virtual time.

Past :data:`MAX_TOKENS` tokens the scene keeps the first ones and says so.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from .scene import OUTCOMES
from .timescale import TimeScale, human_time

__all__ = ["MAX_TOKENS", "flow_scene"]

MAX_TOKENS = 1500
MAX_ENVS = 8
WIDTH = 760
COLUMNS = (70.0, 230.0, 390.0, 545.0, 690.0)
BOX_W, BOX_H = 118.0, 28.0
ROW = 40.0
TOP = 10.0
#: Flow time of the whole play, and the least time one hop takes.
FLOW_SPAN = 1000.0
HOP = 12.0
STATUS_CLASS = {"ok": "success", "error": "error", "timeout": "timeout"}


class _Actors:
    """Actors by column, each with a key, a label and a position."""

    def __init__(self) -> None:
        self.columns: list[list[tuple[str, str]]] = [[] for _ in COLUMNS]

    def add(self, column: int, key: str, label: str) -> str:
        if all(k != key for k, _ in self.columns[column]):
            self.columns[column].append((key, label))
        return key

    def layout(self) -> tuple[dict[str, tuple[float, float]], float]:
        rows = max((len(c) for c in self.columns), default=1)
        height = TOP * 2 + rows * ROW
        where: dict[str, tuple[float, float]] = {}
        for x, column in zip(COLUMNS, self.columns, strict=True):
            offset = (rows - len(column)) * ROW / 2
            for i, (key, _) in enumerate(column):
                where[key] = (x, round(TOP + offset + i * ROW + ROW / 2, 2))
        return where, height


def flow_scene(records: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    """The scene of ``records`` (already selected): see the module docstring."""
    actors = _Actors()
    caller = _caller(records)
    env_of: dict[str, str] = {}
    hops: list[dict[str, Any]] = []  # each: cls, shape, label, record, points [(actor, t)]
    started: dict[tuple[str, int, str], dict[str, Any]] = {}
    batches = {r["request_id"]: r for r in records if r["kind"] == "batch"}
    queued: set[str] = set()
    for record in records:
        kind = record["kind"]
        if kind in ("queued", "accepted"):
            queued.add(record["request_id"])
    for record in records:
        kind = record["kind"]
        if kind == "attempt_started":
            started[(record["request_id"], record["attempt"], record["env"])] = record
        elif kind == "attempt_ended":
            start = started.pop((record["request_id"], record["attempt"], record["env"]), None)
            if start is None:
                continue
            env = _env_actor(actors, env_of, record["env"])
            service = actors.add(1, "service", "Lambda service")
            rid = record["request_id"]
            cls = STATUS_CLASS[record["status"]]
            label = f"attempt {record['attempt']} of {rid[:8]}: {OUTCOMES[cls][0]}"
            if rid in batches:
                batch = batches[rid]
                source = actors.add(0, f"source:{batch['source']}", batch["source"])
                poller = actors.add(2, f"poller:{batch['mapping']}", "poller")
                points = [(source, batch["t"]), (poller, batch["t"]), (service, start["t"])]
                label = f"batch of {batch['size']} from {batch['source']}: {OUTCOMES[cls][0]}"
            elif rid in queued:
                queue = actors.add(2, "async-queue", "async queue")
                if record["attempt"] == 1 and not start.get("duplicate"):
                    entry = actors.add(0, caller[0], caller[1])
                    points = [(entry, start["t"]), (service, start["t"]), (queue, start["t"])]
                else:
                    points = [(queue, start["t"])]
                    if start.get("duplicate"):
                        cls = "duplicate"
                        label = f"duplicate delivery of {rid[:8]}: {record['status']}"
                    else:  # a retry is drawn as one, whatever its outcome (in its label)
                        label = f"retry {record['attempt'] - 1} of {rid[:8]}: {record['status']}"
                        cls = "retry"
            else:
                points = [(actors.add(0, caller[0], caller[1]), start["t"]), (service, start["t"])]
            points.append((env, start["t"]))
            points.append((env, record["t"]))
            hops.append(_hop(cls, label, record, points))
        elif kind in ("destination", "dlq"):
            name = record["target"].rsplit(":", 1)[-1]
            target = actors.add(4, f"target:{record['target']}", _target_label(kind, record, name))
            where = env_of.get(record["request_id"]) or actors.add(1, "service", "Lambda service")
            cls = "success" if record["condition"] == "Success" else "dropped"
            label = f"{kind} {name}: {record['condition']}"
            hops.append(_hop(cls, label, record, _at(record, where, target)))
        elif kind == "throttle":
            source = actors.add(0, caller[0], caller[1])
            service = actors.add(1, "service", "Lambda service")
            sink = actors.add(4, "sink:throttled", "throttled (429)")
            label = f"throttled {record['request_id'][:8]}: {record['reason']}"
            hops.append(_hop("throttle", label, record, _at(record, source, service, sink)))
        elif kind == "dropped":
            queue = actors.add(2, "async-queue", "async queue")
            sink = actors.add(4, "sink:dropped", "dropped")
            label = f"dropped {record['request_id'][:8]}: {record['reason']}"
            hops.append(_hop("dropped", label, record, _at(record, queue, sink)))
        elif kind == "message_redriven":
            source = actors.add(0, f"source:{record['queue']}", record["queue"])
            dlq = actors.add(4, f"dlq:{record['dead_letter_queue']}",
                             f"DLQ {record['dead_letter_queue']}")  # fmt: skip
            label = (
                f"message {record['message_id'][:8]} redriven after "
                f"{record['receive_count']} receives"
            )
            hops.append(_hop("redriven", label, record, _at(record, source, dlq)))
        elif kind == "stream_batch_discarded":
            poller = actors.add(2, f"poller:{record['mapping']}", "poller")
            where = record["target"] or "sink:dropped"
            name = where.rsplit(":", 1)[-1]
            target = actors.add(
                4, f"target:{where}" if record["target"] else where,
                f"on-failure {name}" if record["target"] else "dropped",
            )  # fmt: skip
            label = (
                f"{record['size']} record(s) of {record['shard']} given up: {record['condition']}"
            )
            hops.append(_hop("dropped", label, record, _at(record, poller, target)))
        elif kind == "messages_deleted" and record["reason"] == "filtered":
            source = actors.add(0, f"source:{record['queue']}", record["queue"])
            sink = actors.add(4, "sink:filtered", "filtered out")
            label = f"{len(record['message_ids'])} message(s) filtered out"
            hops.append(_hop("filtered", label, record, _at(record, source, sink)))
    note = ""
    if len(hops) > MAX_TOKENS:
        note = f"showing the first {MAX_TOKENS:,} of {len(hops):,} tokens"
        hops = hops[:MAX_TOKENS]
    where, height = actors.layout()
    marks = _actor_marks(actors, where)
    tokens, t_max = _tokens(hops, where)
    marks = _links(hops, where) + marks
    return {
        "view": "flow",
        "width": WIDTH,
        "height": round(height, 2),
        "title": title or "How requests flowed",
        "note": note,
        "marks": marks,
        "records": [hop["record"] for hop in hops],
        "tokens": tokens,
        "t_range": [0.0, t_max],
        "summary": _summary(hops),
    }


def _hop(
    cls: str, label: str, record: dict[str, Any], points: list[tuple[str, float]]
) -> dict[str, Any]:
    """One token's journey: its outcome class (which gives its shape), label, record, stops."""
    return {"cls": cls, "shape": OUTCOMES[cls][1], "label": label, "record": record,
            "points": points}  # fmt: skip


def _at(record: dict[str, Any], *actors: str) -> list[tuple[str, float]]:
    """Stops at ``actors``, all at the record's instant."""
    return [(actor, record["t"]) for actor in actors]


def _caller(records: list[dict[str, Any]]) -> tuple[str, str]:
    kinds = {r["kind"] for r in records}
    if "apigw_request" in kinds:
        return ("caller", "API Gateway")
    if "client_request" in kinds:
        return ("caller", "SDK client")
    return ("caller", "caller")


def _env_actor(actors: _Actors, env_of: dict[str, str], env: str) -> str:
    if env not in env_of:
        count = len({v for v in env_of.values()})
        if count < MAX_ENVS - 1:
            env_of[env] = actors.add(3, f"env:{count + 1}", f"env {count + 1}")
        else:
            env_of[env] = actors.add(3, "env:more", "more envs")
    return env_of[env]


def _target_label(kind: str, record: dict[str, Any], name: str) -> str:
    if kind == "dlq":
        return f"DLQ {name}"
    return f"{'on-success' if record['condition'] == 'Success' else 'on-failure'} {name}"


def _actor_marks(actors: _Actors, where: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    for column in actors.columns:
        for key, label in column:
            x, y = where[key]
            marks.append(
                {"type": "rect", "cls": "actor", "x": round(x - BOX_W / 2, 2),
                 "y": round(y - BOX_H / 2, 2), "w": BOX_W, "h": BOX_H, "label": label}
            )  # fmt: skip
            marks.append(
                {"type": "text", "cls": "actor-label", "x": x, "y": round(y + 4, 2),
                 "text": label if len(label) <= 18 else label[:17] + "…", "anchor": "middle"}
            )  # fmt: skip
    return marks


def _links(hops: list[dict[str, Any]], where: dict[str, tuple[float, float]]) -> list[dict]:
    """A faint line for every pair of actors some token travels between."""
    pairs: dict[tuple[str, str], None] = {}
    for hop in hops:
        names = [actor for actor, _ in hop["points"]]
        for a, b in pairwise(names):
            if a != b:
                pairs.setdefault((a, b), None)
    marks = []
    for a, b in pairs:
        (x1, y1), (x2, y2) = where[a], where[b]
        if x2 > x1:
            x1, x2 = x1 + BOX_W / 2, x2 - BOX_W / 2
        elif x2 < x1:
            x1, x2 = x1 - BOX_W / 2, x2 + BOX_W / 2
        marks.append({"type": "line", "cls": "link", "x1": round(x1, 2), "y1": y1,
                      "x2": round(x2, 2), "y2": y2, "arrow": True})  # fmt: skip
    return marks


def _tokens(
    hops: list[dict[str, Any]], where: dict[str, tuple[float, float]]
) -> tuple[list[dict[str, Any]], float]:
    if not hops:
        return [], 1.0
    times = sorted({t for hop in hops for _, t in hop["points"]})
    scale = TimeScale([(t, t) for t in times], 0.0, FLOW_SPAN)
    tokens = []
    t_max = 0.0
    for n, hop in enumerate(hops):
        path, flow_times = [], []
        last = None
        # Tokens sit in the right part of a box, clear of its label, a little
        # spread so tokens at one actor at one instant do not hide each other.
        dx = BOX_W / 2 - 14 - (n % 4) * 7.0
        dy = ((n % 3) - 1) * 6.0
        for actor, t in hop["points"]:
            x, y = where[actor]
            ft = scale(t)
            if last is not None and ft < last + HOP:
                ft = last + HOP
            path.append([round(x + dx, 2), round(y + dy, 2)])
            flow_times.append(round(ft, 2))
            last = ft
        t_max = max(t_max, flow_times[-1])
        start, end = hop["points"][0][1], hop["points"][-1][1]
        when = human_time(start) if start == end else f"{human_time(start)}-{human_time(end)}"
        tokens.append(
            {"id": f"t{n}", "cls": hop["cls"], "shape": hop["shape"],
             "label": f"{hop['label']} (t = {when})", "record": n, "path": path,
             "times": flow_times}
        )  # fmt: skip
    return tokens, round(t_max + HOP, 2)


def _summary(hops: list[dict[str, Any]]) -> list[list[Any]]:
    counts: dict[str, int] = {}
    for hop in hops:
        counts[hop["cls"]] = counts.get(hop["cls"], 0) + 1
    return [[OUTCOMES[cls][0], counts[cls]] for cls in OUTCOMES if cls in counts]
