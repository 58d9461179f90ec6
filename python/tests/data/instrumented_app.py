"""A small application instrumented with the OpenTelemetry SDK, exporting its spans, logs
and metrics over OTLP/HTTP to the endpoint given as the first argument. It prints, as
JSON, the trace ids it made, the spans of each and the log messages it wrote, for the test
that runs it to look for in the store."""

from __future__ import annotations

import json
import logging
import sys

from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry import metrics
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

endpoint = sys.argv[1]
orders = int(sys.argv[2]) if len(sys.argv) > 2 else 20
resource = Resource.create({"service.name": "checkout", "deployment.environment": "test"})

tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
trace.set_tracer_provider(tracer_provider)
logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs")))
set_logger_provider(logger_provider)
log = logging.getLogger("checkout")
log.setLevel(logging.INFO)
log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))
log.propagate = False
reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"), export_interval_millis=3_600_000)
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
metrics.set_meter_provider(meter_provider)
meter = metrics.get_meter("checkout.app", "1.0")
orders_counter = meter.create_counter("orders", unit="{order}", description="Orders taken.")
charge_duration = meter.create_histogram("charge.duration", unit="ms", description="Time to charge a card.")

tracer = trace.get_tracer("checkout.app", "1.0")
traces: dict[str, int] = {}
messages: list[str] = []
for order in range(orders):
    with tracer.start_as_current_span("POST /orders", kind=trace.SpanKind.SERVER) as root:
        root.set_attribute("order.id", order)
        with tracer.start_as_current_span("charge card", kind=trace.SpanKind.CLIENT) as charge:
            charge.set_attribute("amount", 10.5 * order)
            charge_duration.record(5 * (order % 4), {"outcome": "declined" if order % 5 == 0 else "charged"})
            orders_counter.add(1, {"outcome": "declined" if order % 5 == 0 else "charged"})
            if order % 5 == 0:
                charge.set_status(trace.Status(trace.StatusCode.ERROR, "declined"))
                message = f"order {order} declined"
                log.error(message)
            else:
                message = f"order {order} charged"
                log.info(message)
            messages.append(message)
        with tracer.start_as_current_span("write order"):
            pass
        traces[format(root.get_span_context().trace_id, "032x")] = 3

ok_spans = tracer_provider.force_flush(30_000)
ok_logs = logger_provider.force_flush(30_000)
ok_metrics = meter_provider.force_flush(30_000)
tracer_provider.shutdown()
logger_provider.shutdown()
meter_provider.shutdown()
print(json.dumps({"traces": traces, "messages": messages, "flushed": ok_spans and ok_logs and ok_metrics}))
