#!/usr/bin/env python3
"""Writes a deterministic fleet of OTLP/JSON traces (one TracesData per line, as the
OpenTelemetry Collector's file exporter writes them), for measuring the spans store.

    python3 benches/scripts/otlp-traces.py TRACES OUT.jsonl

Each trace is a request through a small shop: frontend → cart or checkout → payment,
with PostgreSQL and Redis calls, HTTP and database attributes from the semantic
conventions, Kubernetes resource attributes, about 2% failed requests (error statuses
and an exception event), and one resource per service and pod. Traces start 50 ms
apart from 2026-01-05T00:00:00Z.
"""

import json
import random
import sys

T0 = 1_767_571_200_000_000_000
SERVICES = {
    "frontend": ["frontend-7d9f-abcde", "frontend-7d9f-fghij"],
    "cart": ["cart-5c6d-klmno"],
    "checkout": ["checkout-6b7c-pqrst"],
    "payment": ["payment-8e9f-uvwxy"],
}


def attr(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def resource(service, rng):
    pod = rng.choice(SERVICES[service])
    return {
        "attributes": [
            attr("service.name", service),
            attr("service.version", "1.4.2"),
            attr("deployment.environment", "prod"),
            attr("k8s.namespace.name", "shop"),
            attr("k8s.pod.name", pod),
            attr("k8s.deployment.name", service),
        ]
    }


class Trace:
    def __init__(self, rng, index):
        self.rng = rng
        self.trace_id = f"{rng.getrandbits(128):032x}"
        self.start = T0 + index * 50_000_000
        self.by_service = {}

    def span(self, service, parent, name, kind, start, duration, attributes, error=None):
        span_id = f"{self.rng.getrandbits(64):016x}"
        record = {
            "traceId": self.trace_id,
            "spanId": span_id,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(start + duration),
            "attributes": attributes,
            "status": {},
        }
        if parent:
            record["parentSpanId"] = parent
        if error:
            record["status"] = {"code": 2, "message": error}
            record["events"] = [
                {
                    "timeUnixNano": str(start + duration - 1000),
                    "name": "exception",
                    "attributes": [attr("exception.type", "TimeoutError"), attr("exception.message", error)],
                }
            ]
        self.by_service.setdefault(service, []).append(record)
        return span_id

    def db(self, service, parent, start, fail):
        duration = int(self.rng.lognormvariate(14.0, 0.8))
        if self.rng.random() < 0.5:
            statement = f"SELECT * FROM {service}_items WHERE user_id = $1"
            self.span(service, parent, f"SELECT {service}_items", 3, start, duration,
                      [attr("db.system", "postgresql"), attr("db.statement", statement),
                       attr("server.address", "pg.shop.svc"), attr("server.port", 5432)],
                      "canceling statement due to statement timeout" if fail else None)
        else:
            self.span(service, parent, "GET", 3, start, duration // 10,
                      [attr("db.system", "redis"), attr("db.statement", f"GET session:{self.rng.randrange(10**6)}")])
        return duration

    def build(self):
        rng = self.rng
        fail = rng.random() < 0.02
        route = rng.choice(["/cart", "/checkout", "/product/{id}", "/"])
        total = int(rng.lognormvariate(18.0, 0.6))
        root = self.span("frontend", None, f"GET {route}", 2, self.start, total,
                         [attr("http.request.method", "GET"), attr("http.route", route),
                          attr("http.response.status_code", 500 if fail else 200),
                          attr("url.path", route.replace("{id}", str(rng.randrange(1000)))),
                          attr("user_agent.original", "Mozilla/5.0")],
                         "upstream failed" if fail else None)
        backend = "checkout" if route == "/checkout" else "cart"
        at = self.start + total // 20
        client = self.span("frontend", root, f"POST /{backend}", 3, at, total * 8 // 10,
                           [attr("http.request.method", "POST"), attr("server.address", backend)])
        server = self.span(backend, client, f"POST /{backend}", 2, at + 200_000, total * 7 // 10,
                           [attr("http.request.method", "POST"), attr("http.route", f"/{backend}"),
                            attr("http.response.status_code", 500 if fail else 200)],
                           "payment declined" if fail and backend == "checkout" else None)
        t = at + 400_000
        for _ in range(rng.randrange(1, 4)):
            t += self.db(backend, server, t, False) + 50_000
        if backend == "checkout":
            pay = self.span("checkout", server, "payment.Charge", 3, t, total // 4,
                            [attr("rpc.system", "grpc"), attr("rpc.service", "payment.Payment"), attr("rpc.method", "Charge")])
            inner = self.span("payment", pay, "payment.Charge", 2, t + 100_000, total // 5,
                              [attr("rpc.system", "grpc"), attr("rpc.service", "payment.Payment"),
                               attr("rpc.method", "Charge"), attr("rpc.grpc.status_code", 4 if fail else 0)],
                              "deadline exceeded" if fail else None)
            self.db("payment", inner, t + 200_000, fail)
        return {
            "resourceSpans": [
                {"resource": resource(service, rng), "scopeSpans": [{"scope": {"name": "shop.instrumentation", "version": "1.0"}, "spans": spans}]}
                for service, spans in self.by_service.items()
            ]
        }


def main():
    traces, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20260105)
    spans = 0
    with open(out, "w") as f:
        for i in range(traces):
            data = Trace(rng, i).build()
            spans += sum(len(s["scopeSpans"][0]["spans"]) for s in data["resourceSpans"])
            f.write(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"{traces} traces, {spans} spans -> {out}")


if __name__ == "__main__":
    main()
