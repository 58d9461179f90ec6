#!/usr/bin/env python3
"""A deterministic log fleet like the one the logs store is built for, as three plain files.

* app.jsonl   — pino-style JSON lines of five Node/Python services (level, time, msg,
                service, requestId, traceId, spanId, statusCode, duration, nested err
                objects). A request enters one service and calls up to two others; each
                service on its path logs when the request starts, what it did on the way
                (cache misses, database queries) and when it ends, under the request's
                requestId and traceId and its own spanId: 2 to 4 lines per service.
* ingress.log — logfmt lines of the proxy in front of them (ts, level, method, path,
                status, duration_ms, trace_id), one per request;
* worker.log  — plain text lines of a background worker (GC pauses, job runs, retries).

Error bursts come every few minutes: a run of 5xx responses with stack traces. Lines of
concurrent requests interleave, and each file is in time order.

    python3 benches/scripts/log_fleet.py OUT_DIR --megabytes 1000

The three files together hold about the bytes asked for. Run `parquetry ingest --signal
logs --label …` on each (see benches/scripts/logs-compression.sh).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
from pathlib import Path

START_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z
SERVICES = ["checkout", "cart", "payment", "catalog", "auth"]
PATHS = ["/api/v1/items", "/api/v1/cart", "/api/v1/checkout", "/api/v1/login", "/healthz", "/api/v1/search"]
WORKER_JOBS = ["send-email", "reindex", "thumbnail", "billing-sync"]
# No request takes longer: lines older than this behind the newest request are final.
MAX_DURATION_MS = 2_000


def iso(ms: int) -> str:
    s, milli = divmod(ms, 1000)
    import datetime

    t = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{milli:03d}Z"


def app_record(t, level, service, request, trace, span, msg, **fields):
    """A pino-style record: pino's own fields first, then the request's, then `fields`."""
    record = {
        "level": level,
        "time": t,
        "pid": 4000 + 10 * SERVICES.index(service) + request % 3,
        "hostname": f"{service}-{request % 3}",
        "service": service,
        "msg": msg,
        "requestId": f"req-{request:09d}",
        "traceId": trace,
        "spanId": span,
    }
    record.update(fields)
    return json.dumps(record, separators=(",", ":")) + "\n"


def service_lines(rng, start, service, request, trace, status, duration, method, path):
    """The lines one service logs for its part of a request: (time, line) pairs."""
    span = f"{rng.getrandbits(64):016x}"
    lines = [(start, app_record(start, 30, service, request, trace, span, "request started", method=method, path=path))]
    t = start
    for _ in range(rng.randint(0, 2)):
        t += rng.randint(0, max(1, duration // 3))
        if rng.random() < 0.5:
            extra = {"cacheKey": f"{service}:{path}:{rng.randint(1, 5000)}"}
            msg = "cache miss"
        else:
            extra = {"db": "postgres", "query": f"SELECT * FROM {service}_items WHERE id = $1", "rows": rng.randint(0, 40)}
            msg = "db query"
        lines.append((t, app_record(t, 20, service, request, trace, span, msg, **extra)))
    end = start + duration
    level = 50 if status >= 500 else (40 if status >= 400 else 30)
    done = {"method": method, "path": path, "statusCode": status, "duration": duration}
    if status >= 500:
        done["err"] = {
            "type": "UpstreamError",
            "message": f"upstream {rng.choice(SERVICES)} returned {status}",
            "stack": "UpstreamError: upstream failed\n    at callUpstream (/app/src/client.js:88:11)\n    at async handler (/app/src/routes.js:42:5)",
        }
    msg = "request failed" if status >= 500 else "request completed"
    lines.append((end, app_record(end, level, service, request, trace, span, msg, **done)))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--megabytes", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    app = (args.out / "app.jsonl").open("w")
    ingress = (args.out / "ingress.log").open("w")
    worker = (args.out / "worker.log").open("w")
    written = [0, 0, 0]
    files = (app, ingress, worker)
    pending = []  # (time, sequence, file index, line): written once no earlier line can come
    sequence = 0

    def emit(t, which, line):
        nonlocal sequence
        heapq.heappush(pending, (t, sequence, which, line))
        sequence += 1

    def flush(before):
        while pending and pending[0][0] < before:
            _, _, which, line = heapq.heappop(pending)
            files[which].write(line)
            written[which] += len(line)

    t = START_MS
    request = 0
    while sum(written) < args.megabytes * 1e6:
        t += rng.randint(1, 40)
        request += 1
        burst = (t // 60_000) % 7 == 3 and (t // 1000) % 60 < 20
        entry = SERVICES[request % len(SERVICES) if rng.random() < 0.7 else rng.randrange(len(SERVICES))]
        path = rng.choice(PATHS)
        method = "GET" if path != "/api/v1/checkout" else "POST"
        status = rng.choice([500, 502, 503]) if burst and rng.random() < 0.6 else rng.choice([200] * 30 + [201, 204, 304, 400, 404])
        trace = f"{rng.getrandbits(128):032x}"
        calls = rng.sample([s for s in SERVICES if s != entry], rng.randint(0, 2))
        total = min(int(rng.lognormvariate(3.0, 0.8)) + (800 if burst else 0), MAX_DURATION_MS)
        for line in service_lines(rng, t, entry, request, trace, status, total, method, path):
            emit(*line[:1], 0, line[1])
        for depth, callee in enumerate(calls, start=1):
            inner = max(1, total // (depth + 1))
            inner_status = status if status >= 500 else 200
            for when, line in service_lines(rng, t + depth, callee, request, trace, inner_status, inner, "GET", f"/internal/{callee}"):
                emit(when, 0, line)
        emit(
            t + total,
            1,
            f"ts={iso(t + total)} level={'error' if status >= 500 else 'info'} method={method} path={path} "
            f"status={status} duration_ms={total} bytes={rng.randint(200, 90_000)} upstream={entry}:8080 trace_id={trace}\n",
        )
        if rng.random() < 0.5:
            kind = rng.random()
            if kind < 0.4:
                text = f"GC pause {rng.randint(1, 40)}ms heap={rng.randint(200, 900)}MB"
            elif kind < 0.9:
                text = f"job {rng.choice(WORKER_JOBS)} id={rng.getrandbits(40):x} finished in {rng.randint(5, 4000)}ms"
            else:
                text = f"ERROR job {rng.choice(WORKER_JOBS)} failed: connection refused (attempt {rng.randint(1, 5)}/5)"
            emit(t, 2, f"{iso(t)} {text}\n")
        flush(t - MAX_DURATION_MS)
    flush(float("inf"))
    for f in (app, ingress, worker):
        f.close()
    print(f"wrote {sum(written) / 1e6:.1f} MB to {args.out}")


if __name__ == "__main__":
    main()
