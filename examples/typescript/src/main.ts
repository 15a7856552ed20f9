// The example: call a running hooknormd from TypeScript over gRPC and over HTTP/JSON, and check
// every answer. It prints one line per step and exits 1 at the first answer that is not what it
// should be, 0 when all are. See README.md beside package.json.

import { equals, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { webhookClient, errorDomain, refusalOf } from "./grpc.js";
import { get, post, errorBodyOf, streamLines } from "./http.js";
import { expectEqual, expectThat, Mismatch, present } from "./expect.js";
import { clickFunnelsCaseOf, expectOrderCompleted, loadSample } from "./sample.js";
import { settingsFromEnv, type Settings } from "./settings.js";
import { EventSchema as ClickFunnelsEventSchema } from "./gen/hooknorm/clickfunnels/v1/event_pb.js";
import { ErrorReason } from "./gen/hooknorm/v1/error_reason_pb.js";
import { EventSchema, type Event } from "./gen/hooknorm/v1/event_pb.js";
import { IngestResponseSchema } from "./gen/hooknorm/v1/service_pb.js";
import { Source } from "./gen/hooknorm/v1/source_pb.js";

/** answerTimeoutMs bounds every call and stream, so the example never hangs. */
const answerTimeoutMs = 10_000;

const settings = settingsFromEnv();
const sample = await loadSample();
const client = webhookClient(settings);
let passed = 0;

await step("the schema maps the sample's event type to its oneof case (option hooknorm.options.v1.event_type)", async () => {
  expectEqual(`the case for ${sample.eventType}`, clickFunnelsCaseOf(sample.eventType), "orderCompleted");
  expectEqual("the case for an older spelling, contact/applied_tag.created", clickFunnelsCaseOf("contact/applied_tag.created"), "contactsAppliedTagCreated");
});

const normalized = await step("Normalize (gRPC) turns the sample into a typed clickfunnels.order_completed event", async () => {
  const { event } = await client.normalize(
    { source: Source.CLICKFUNNELS, payload: sample.body },
    { timeoutMs: answerTimeoutMs },
  );
  const typed = present("NormalizeResponse.event", event);
  expectOrderCompleted(typed, sample);
  expectEqual("event.sequence (Normalize stores nothing)", typed.sequence, 0n);
  return typed;
});

await step("Normalize (gRPC) refuses a bad delivery: INVALID_ARGUMENT, ErrorInfo reason INVALID_FIELD at $.event_type", async () => {
  const badType = utf8('{"event_id": "ts-example-1", "event_type": 7, "data": {}}');
  try {
    await client.normalize({ source: Source.CLICKFUNNELS, payload: badType }, { timeoutMs: answerTimeoutMs });
  } catch (error) {
    const refused = ConnectError.from(error);
    expectEqual("status code", Code[refused.code], Code[Code.InvalidArgument]);
    const info = present(`google.rpc.ErrorInfo of domain ${errorDomain}`, refusalOf(refused));
    expectEqual("ErrorInfo.reason", info.reason, ErrorReason[ErrorReason.INVALID_FIELD]);
    expectEqual("ErrorInfo.metadata.field", info.metadata["field"], "$.event_type");
    expectThat("status message", refused.rawMessage.includes("$.event_type"), `"${refused.rawMessage}" does not name the field`);
    return;
  }
  throw new Mismatch("a numeric event_type was accepted");
});

const stored = await step("POST /v1/webhooks/clickfunnels (HTTP, as ClickFunnels sends it) stores the delivery, and a repeat once", async () => {
  const first = await ingestOverHttp();
  const repeat = await ingestOverHttp();
  expectEqual("repeat: duplicate", repeat.duplicate, true);
  expectEqual("repeat: sequence", repeat.sequence, first.sequence);
  return { sequence: present("sequence", first.sequence) };
});

const streamed = await step("Subscribe (gRPC) opens with a heartbeat, then streams the stored event, equal to what Normalize made", async () => {
  const stream = client.subscribe(
    { start: { case: "afterSequence", value: stored.sequence - 1n } },
    { signal: AbortSignal.timeout(answerTimeoutMs) },
  );
  let heartbeats = 0;
  for await (const message of stream) {
    switch (message.message.case) {
      case "heartbeat":
        heartbeats++;
        expectThat("heartbeat.latestSequence", (message.message.value.latestSequence ?? 0n) >= stored.sequence,
          `${message.message.value.latestSequence} is before the stored event's ${stored.sequence}`);
        continue;
      case "event":
        expectThat("the stream's first message", heartbeats > 0, "was an event, not the opening heartbeat");
        return expectStoredEvent(message.message.value, stored.sequence);
      default:
        throw new Mismatch(`the stream sent ${message.message.case ?? "an empty message"} before the event`);
    }
  }
  throw new Mismatch("the stream ended before the event");
});

await step("GET /v1/events:subscribe (HTTP) streams the same event as newline-delimited JSON", async () => {
  const done = new AbortController();
  const signal = AbortSignal.any([done.signal, AbortSignal.timeout(answerTimeoutMs)]);
  try {
    const response = await get(settings, `/v1/events:subscribe?after_sequence=${stored.sequence - 1n}`, signal);
    expectEqual("HTTP status", response.status, 200);
    expectEqual("content-type", response.headers.get("content-type"), "application/x-ndjson");
    for await (const line of streamLines(response)) {
      if ("error" in line) {
        throw new Mismatch(`the stream ended with ${line.error.reason}: ${line.error.message}`);
      }
      if (line.message.message.case === "event") {
        const event = line.message.message.value;
        expectThat("the event read over HTTP", equals(EventSchema, event, streamed), "differs from the one read over gRPC");
        return;
      }
    }
    throw new Mismatch("the stream ended before the event");
  } finally {
    done.abort();
  }
});

await step("POST /v1/normalize/clickfunnels (HTTP) refuses a truncated body: 400, ErrorBody reason MALFORMED_JSON at its offset", async () => {
  const truncated = sample.body.subarray(0, 40);
  const response = await post(settings, "/v1/normalize/clickfunnels", truncated, AbortSignal.timeout(answerTimeoutMs));
  expectEqual("HTTP status", response.status, 400);
  const body = await errorBodyOf(response);
  expectEqual("ErrorBody.code", body.code, Code.InvalidArgument);
  expectEqual("ErrorBody.status", body.status, "INVALID_ARGUMENT");
  expectEqual("ErrorBody.reason", body.reason, ErrorReason[ErrorReason.MALFORMED_JSON]);
  expectEqual("ErrorBody.offset", body.offset, truncated.length);
  expectThat("ErrorBody.message", body.message !== "", "is empty");
});

console.log(`typescript example: ${passed} passed, 0 failed`);

/** ingestOverHttp posts the sample to the ClickFunnels webhook route and reads the answer. */
async function ingestOverHttp() {
  const response = await post(settings, "/v1/webhooks/clickfunnels", sample.body, AbortSignal.timeout(answerTimeoutMs));
  if (response.status !== 200) {
    const refusal = await errorBodyOf(response);
    throw new Mismatch(`HTTP ${response.status} ${refusal.reason}: ${refusal.message}`);
  }
  const answer = fromJson(IngestResponseSchema, (await response.json()) as JsonValue, { ignoreUnknownFields: true });
  expectEqual("IngestResponse.id", answer.id, sample.eventId);
  return answer;
}

/** expectStoredEvent checks the streamed event against the sample and what Normalize made. */
function expectStoredEvent(event: Event, sequence: bigint): Event {
  expectEqual("event.sequence", event.sequence, sequence);
  expectOrderCompleted(event, sample);
  present("event.receivedAt", event.receivedAt);
  expectThat("event.clickfunnels",
    event.payload.case === "clickfunnels" && normalized.payload.case === "clickfunnels" &&
      equals(ClickFunnelsEventSchema, event.payload.value, normalized.payload.value),
    "the stored event's payload differs from what Normalize made of the same delivery");
  return event;
}

/** step runs one check, prints its outcome, and ends the process with exit code 1 if it fails. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    const value = await run();
    passed++;
    console.log(`ok    ${name}`);
    return value;
  } catch (error) {
    console.error(`FAIL  ${name}\n      ${explain(error, settings)}`);
    console.error(`typescript example: ${passed} passed, 1 failed`);
    process.exit(1);
  }
}

/** explain says what went wrong in a failed step, and for an unreachable listener which one. */
function explain(error: unknown, where: Settings): string {
  if (error instanceof Mismatch) {
    return error.message;
  }
  if (error instanceof ConnectError) {
    if (error.code === Code.Unavailable) {
      return `cannot reach hooknormd's gRPC listener at ${where.grpcBaseUrl} (set HOOKNORM_GRPC_ADDR): ${error.rawMessage}`;
    }
    if (error.code === Code.DeadlineExceeded) {
      return `no answer from hooknormd's gRPC listener within ${answerTimeoutMs / 1000} s`;
    }
    const info = refusalOf(error);
    const hint = error.code === Code.Unauthenticated || error.code === Code.PermissionDenied
      ? " (set HOOKNORM_TOKEN to a token allowed normalize, ingest and subscribe)"
      : "";
    return `gRPC ${Code[error.code]}${info ? ` ${info.reason}` : ""}: ${error.rawMessage}${hint}`;
  }
  if (error instanceof Error && error.name === "TimeoutError") {
    return `no answer from hooknormd within ${answerTimeoutMs / 1000} s`;
  }
  if (error instanceof TypeError && error.message === "fetch failed") {
    return `cannot reach hooknormd's HTTP listener at ${where.httpBaseUrl} (set HOOKNORM_HTTP_ADDR): ${String(error.cause)}`;
  }
  return String(error);
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}
