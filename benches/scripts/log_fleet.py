#!/usr/bin/env python3
"""A deterministic log fleet like the one the logs store is built for, as three plain files.

* app.jsonl   — pino-style JSON lines of a Node/Python service (level, time, msg, service,
                requestId, traceId, spanId, statusCode, duration, nested err objects);
* ingress.log — logfmt lines of a proxy (ts, level, method, path, status, duration_ms,
                trace_id) for the same requests;
* worker.log  — plain text lines of a background worker (GC pauses, job runs, retries).

Error bursts come every few minutes: a run of 5xx responses with stack traces.

    python3 benches/scripts/log_fleet.py OUT_DIR --megabytes 1000

The three files together hold about the bytes asked for. Run `parquetry ingest --signal logs --label …` on
each (see benches/scripts/logs-compression.sh).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

START_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z
SERVICES = ["checkout", "cart", "payment", "catalog", "auth"]
PATHS = ["/api/v1/items", "/api/v1/cart", "/api/v1/checkout", "/api/v1/login", "/healthz", "/api/v1/search"]
MESSAGES = ["request completed", "cache miss", "db query", "request started", "rendered page"]
WORKER_JOBS = ["send-email", "reindex", "thumbnail", "billing-sync"]


def iso(ms: int) -> str:
    s, milli = divmod(ms, 1000)
    import datetime

    t = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{milli:03d}Z"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--megabytes", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    budget = int(args.megabytes * 1e6 / 3)
    app = (args.out / "app.jsonl").open("w")
    ingress = (args.out / "ingress.log").open("w")
    worker = (args.out / "worker.log").open("w")
    written = [0, 0, 0]
    t = START_MS
    request = 0
    while min(written[0], written[1]) < budget:
        t += rng.randint(1, 40)
        request += 1
        burst = (t // 60_000) % 7 == 3 and (t // 1000) % 60 < 20
        service = SERVICES[request % len(SERVICES) if rng.random() < 0.7 else rng.randrange(len(SERVICES))]
        path = rng.choice(PATHS)
        status = rng.choice([500, 502, 503]) if burst and rng.random() < 0.6 else rng.choice([200] * 30 + [201, 204, 304, 400, 404])
        duration = int(rng.lognormvariate(3.0, 0.8)) + (800 if burst else 0)
        trace = f"{rng.getrandbits(128):032x}"
        span = f"{rng.getrandbits(64):016x}"
        rid = f"req-{request:09d}"
        level = 50 if status >= 500 else (40 if status >= 400 else 30)
        record = {
            "level": level,
            "time": t,
            "pid": 4000 + request % 8,
            "hostname": f"{service}-{request % 3}",
            "service": service,
            "msg": "request failed" if status >= 500 else rng.choice(MESSAGES),
            "requestId": rid,
            "traceId": trace,
            "spanId": span,
            "method": "GET" if path != "/api/v1/checkout" else "POST",
            "path": path,
            "statusCode": status,
            "duration": duration,
        }
        if status >= 500:
            record["err"] = {
                "type": "UpstreamError",
                "message": f"upstream {rng.choice(SERVICES)} returned {status}",
                "stack": "UpstreamError: upstream failed\n    at callUpstream (/app/src/client.js:88:11)\n    at async handler (/app/src/routes.js:42:5)",
            }
        line = json.dumps(record, separators=(",", ":")) + "\n"
        app.write(line)
        written[0] += len(line)
        line = (
            f"ts={iso(t)} level={'error' if status >= 500 else 'info'} method={record['method']} path={path} "
            f"status={status} duration_ms={duration} bytes={rng.randint(200, 90_000)} upstream={service}:8080 trace_id={trace}\n"
        )
        ingress.write(line)
        written[1] += len(line)
        if written[2] < budget and rng.random() < 0.5:
            kind = rng.random()
            if kind < 0.4:
                text = f"GC pause {rng.randint(1, 40)}ms heap={rng.randint(200, 900)}MB"
            elif kind < 0.9:
                text = f"job {rng.choice(WORKER_JOBS)} id={rng.getrandbits(40):x} finished in {rng.randint(5, 4000)}ms"
            else:
                text = f"ERROR job {rng.choice(WORKER_JOBS)} failed: connection refused (attempt {rng.randint(1, 5)}/5)"
            line = f"{iso(t)} {text}\n"
            worker.write(line)
            written[2] += len(line)
    for f in (app, ingress, worker):
        f.close()
    print(f"wrote {sum(written) / 1e6:.1f} MB to {args.out}")


if __name__ == "__main__":
    main()
