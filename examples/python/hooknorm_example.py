"""Call a running hooknormd from Python over gRPC and HTTP/JSON, and check every answer.

It normalizes a ClickFunnels order.completed delivery, has a bad one refused and reads the
reason from google.rpc.ErrorInfo, stores the delivery with Ingest, reads it back from Subscribe,
and has a truncated body refused over HTTP with its error body. It prints one line per step and
exits 1 at the first answer that is not what it should be. See README.md beside it.

    python3 hooknorm_example.py [DELIVERY.json]

HOOKNORM_GRPC_ADDR and HOOKNORM_HTTP_ADDR (host:port) say where hooknormd listens, and
HOOKNORM_TOKEN is sent as a bearer token when set.
"""

import json
import os
import pathlib
import sys
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "gen"))

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402  (googleapis-common-protos)
from hooknorm.v1 import error_body_pb2, error_reason_pb2, service_pb2, service_pb2_grpc, source_pb2  # noqa: E402

ERROR_DOMAIN = "hooknorm.dev"
TIMEOUT_SECONDS = 10
DEFAULT_DELIVERY = pathlib.Path(__file__).resolve().parent.parent / "typescript" / "clickfunnels-order_completed.json"


class Mismatch(Exception):
    """An answer from hooknormd that is not what the example expects."""


def expect_equal(what, got, want):
    """Raise a Mismatch naming what unless got equals want."""
    if got != want:
        raise Mismatch(f"{what}: got {got!r}, want {want!r}")


def reason_name(reason):
    """The name hooknormd sends for an ErrorReason: the value name without ERROR_REASON_."""
    return error_reason_pb2.ErrorReason.Name(reason).removeprefix("ERROR_REASON_")


def error_info_of(error):
    """The google.rpc.ErrorInfo hooknormd attached to a failed call, from grpc-status-details-bin.

    grpcio-status does the same with rpc_status.from_call(error).
    """
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info) and info.domain == ERROR_DOMAIN:
                    return info
    return None


def expect_order_completed(event, delivery):
    """Check that event is the delivery, typed as clickfunnels.order_completed."""
    expect_equal("event.id", event.id, delivery["event_id"])
    expect_equal("event.source", event.source, source_pb2.SOURCE_CLICKFUNNELS)
    expect_equal("event.type", event.type, delivery["event_type"])
    expect_equal("event.tenant", event.tenant, str(delivery["workspace_id"]))
    expect_equal("payload case", event.WhichOneof("payload"), "clickfunnels")
    expect_equal("clickfunnels case", event.clickfunnels.WhichOneof("event"), "order_completed")
    order = event.clickfunnels.order_completed
    expect_equal("order.order_number", order.order_number, delivery["data"]["order_number"])
    expect_equal("order.total_amount", order.total_amount, delivery["data"]["total_amount"])
    expect_equal("order.contact.email_address", order.contact.email_address, delivery["data"]["contact"]["email_address"])


def main():
    grpc_addr = os.environ.get("HOOKNORM_GRPC_ADDR") or "127.0.0.1:50051"
    http_url = "http://" + (os.environ.get("HOOKNORM_HTTP_ADDR") or "127.0.0.1:8080")
    token = os.environ.get("HOOKNORM_TOKEN")
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DELIVERY
    body = path.read_bytes()
    delivery = json.loads(body)
    client = service_pb2_grpc.WebhookServiceStub(grpc.insecure_channel(grpc_addr))
    passed = 0

    def step(name, run):
        nonlocal passed
        try:
            result = run()
        except Mismatch as mismatch:
            fail(name, str(mismatch))
        except grpc.RpcError as error:
            fail(name, f"gRPC {error.code().name} at {grpc_addr}: {error.details()}")
        except urllib.error.URLError as error:
            fail(name, f"cannot reach hooknormd's HTTP listener at {http_url}: {error.reason}")
        passed += 1
        print(f"ok    {name}")
        return result

    def fail(name, why):
        print(f"FAIL  {name}\n      {why}", file=sys.stderr)
        print(f"python example: {passed} passed, 1 failed", file=sys.stderr)
        sys.exit(1)

    def normalize():
        request = service_pb2.NormalizeRequest(source=source_pb2.SOURCE_CLICKFUNNELS, payload=body)
        event = client.Normalize(request, timeout=TIMEOUT_SECONDS, metadata=metadata).event
        expect_order_completed(event, delivery)
        expect_equal("event.sequence (Normalize stores nothing)", event.sequence, 0)
        return event

    def refused():
        bad = b'{"event_id": "py-example-1", "event_type": 7, "data": {}}'
        try:
            client.Normalize(service_pb2.NormalizeRequest(source=source_pb2.SOURCE_CLICKFUNNELS, payload=bad),
                             timeout=TIMEOUT_SECONDS, metadata=metadata)
        except grpc.RpcError as error:
            expect_equal("status code", error.code(), grpc.StatusCode.INVALID_ARGUMENT)
            info = error_info_of(error)
            if info is None:
                raise Mismatch(f"no google.rpc.ErrorInfo of domain {ERROR_DOMAIN} in the status details")
            expect_equal("ErrorInfo.reason", info.reason, reason_name(error_reason_pb2.ERROR_REASON_INVALID_FIELD))
            expect_equal("ErrorInfo.metadata['field']", info.metadata.get("field"), "$.event_type")
            return
        raise Mismatch("a numeric event_type was accepted")

    def ingest():
        request = service_pb2.IngestRequest(source=source_pb2.SOURCE_CLICKFUNNELS, payload=body)
        answer = client.Ingest(request, timeout=TIMEOUT_SECONDS, metadata=metadata)
        expect_equal("IngestResponse.id", answer.id, delivery["event_id"])
        return answer.sequence

    def subscribe():
        request = service_pb2.SubscribeRequest(after_sequence=sequence - 1)
        stream = client.Subscribe(request, timeout=TIMEOUT_SECONDS, metadata=metadata)
        try:
            first = next(stream)
            expect_equal("the stream's first message", first.WhichOneof("message"), "heartbeat")
            second = next(stream)
            expect_equal("the stream's second message", second.WhichOneof("message"), "event")
            expect_equal("event.sequence", second.event.sequence, sequence)
            expect_order_completed(second.event, delivery)
            expect_equal("the stored event's payload equals what Normalize made",
                         second.event.clickfunnels == normalized.clickfunnels, True)
        finally:
            stream.cancel()

    def http_refusal():
        truncated = body[:40]
        request = urllib.request.Request(http_url + "/v1/normalize/clickfunnels", data=truncated, method="POST",
                                         headers={"authorization": f"Bearer {token}"} if token else {})
        try:
            urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
        except urllib.error.HTTPError as answer:
            expect_equal("HTTP status", answer.code, 400)
            refusal = json_format.Parse(answer.read(), error_body_pb2.ErrorBody(), ignore_unknown_fields=True)
            expect_equal("ErrorBody.status", refusal.status, "INVALID_ARGUMENT")
            expect_equal("ErrorBody.reason", refusal.reason, reason_name(error_reason_pb2.ERROR_REASON_MALFORMED_JSON))
            expect_equal("ErrorBody.offset", refusal.offset, len(truncated))
            return
        raise Mismatch("a truncated body was accepted")

    normalized = step("Normalize (gRPC) turns the sample into a typed clickfunnels.order_completed event", normalize)
    step("Normalize (gRPC) refuses a bad delivery: INVALID_ARGUMENT, ErrorInfo reason INVALID_FIELD at $.event_type", refused)
    sequence = step("Ingest (gRPC) stores the delivery", ingest)
    step("Subscribe (gRPC) opens with a heartbeat, then streams the stored event, equal to what Normalize made", subscribe)
    step("POST /v1/normalize/clickfunnels (HTTP) refuses a truncated body: 400, reason MALFORMED_JSON at its offset", http_refusal)
    print(f"python example: {passed} passed, 0 failed")


if __name__ == "__main__":
    main()
