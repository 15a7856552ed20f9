// The HTTP/JSON face: plain fetch against hooknormd's grpc-gateway routes, reading answers with
// the generated schemas' fromJson, so the JSON and gRPC answers are the same messages.

import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ErrorBodySchema, type ErrorBody } from "./gen/hooknorm/v1/error_body_pb.js";
import { SubscribeResponseSchema, type SubscribeResponse } from "./gen/hooknorm/v1/service_pb.js";
import type { Settings } from "./settings.js";

/** readOptions let a newer hooknormd add fields without breaking this client. */
const readOptions = { ignoreUnknownFields: true };

/** post sends body, byte for byte, to path (with its query) on the HTTP listener. */
export function post(settings: Settings, path: string, body: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<Response> {
  return fetch(settings.httpBaseUrl + path, {
    method: "POST",
    headers: headers(settings, { "content-type": "application/json" }),
    body,
    signal,
  });
}

/** get requests path (with its query) from the HTTP listener. */
export function get(settings: Settings, path: string, signal: AbortSignal): Promise<Response> {
  return fetch(settings.httpBaseUrl + path, { headers: headers(settings, {}), signal });
}

/**
 * errorBodyOf reads a refusal's body: {"code", "status", "reason", "message", "field",
 * "offset"}, hooknorm.v1.ErrorBody. reason is the stable part to branch on.
 */
export async function errorBodyOf(response: Response): Promise<ErrorBody> {
  return fromJson(ErrorBodySchema, (await response.json()) as JsonValue, readOptions);
}

/** StreamLine is one line of GET /v1/events:subscribe: a message, or the error that ended it. */
export type StreamLine = { message: SubscribeResponse } | { error: ErrorBody };

/**
 * streamLines reads a newline-delimited JSON stream as grpc-gateway writes it: one
 * {"result": SubscribeResponse} per line, or a last {"error": ErrorBody}.
 */
export async function* streamLines(response: Response): AsyncGenerator<StreamLine> {
  if (!response.body) {
    return;
  }
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line !== "") {
        yield parseLine(line);
      }
    }
  }
}

function parseLine(line: string): StreamLine {
  const parsed = JSON.parse(line) as { result?: JsonValue; error?: JsonValue };
  if (parsed.error !== undefined) {
    return { error: fromJson(ErrorBodySchema, parsed.error, readOptions) };
  }
  return { message: fromJson(SubscribeResponseSchema, parsed.result ?? null, readOptions) };
}

function headers(settings: Settings, extra: Record<string, string>): Record<string, string> {
  return settings.token ? { ...extra, authorization: `Bearer ${settings.token}` } : extra;
}
