// The gRPC client: Connect for Node.js speaking the gRPC protocol over HTTP/2, as hooknormd
// serves it, with the WebhookService descriptor that protoc-gen-es generated from proto/.

import { ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema, type ErrorInfo } from "./gen/google/rpc/error_details_pb.js";
import { WebhookService } from "./gen/hooknorm/v1/service_pb.js";
import type { Settings } from "./settings.js";

/** WebhookClient calls hooknorm.v1.WebhookService: normalize, ingest and subscribe. */
export type WebhookClient = Client<typeof WebhookService>;

/** errorDomain is the domain of every google.rpc.ErrorInfo hooknormd sends. */
export const errorDomain = "hooknorm.dev";

/** webhookClient returns a client for the gRPC listener in settings, sending the token if any. */
export function webhookClient(settings: Settings): WebhookClient {
  const interceptors: Interceptor[] = [];
  const token = settings.token;
  if (token) {
    interceptors.push((next) => (request) => {
      request.header.set("authorization", `Bearer ${token}`);
      return next(request);
    });
  }
  return createClient(WebhookService, createGrpcTransport({ baseUrl: settings.grpcBaseUrl, interceptors }));
}

/**
 * refusalOf returns the ErrorInfo hooknormd attached to a failed call: its reason (an ErrorReason
 * name without the ERROR_REASON_ prefix) and, when there is one, the "field" and "offset" of the
 * problem in its metadata. Connect decodes it from the grpc-status-details-bin trailer. It
 * returns undefined for an error without one, such as a connection failure.
 */
export function refusalOf(error: unknown): ErrorInfo | undefined {
  return ConnectError.from(error)
    .findDetails(ErrorInfoSchema)
    .find((info) => info.domain === errorDomain);
}
