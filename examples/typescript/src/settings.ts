// Where the example finds hooknormd, read from the environment. The variables are the ones
// hooknormd itself reads for its listen addresses, so one `export` serves both.

/** Settings say how to reach hooknormd. */
export interface Settings {
  /** grpcBaseUrl is the gRPC listener as a URL, for example "http://127.0.0.1:50051". */
  readonly grpcBaseUrl: string;
  /** httpBaseUrl is the HTTP/JSON listener as a URL, for example "http://127.0.0.1:8080". */
  readonly httpBaseUrl: string;
  /** token is the API bearer token, when hooknormd runs with --tokens-file. */
  readonly token: string | undefined;
}

/**
 * settingsFromEnv reads HOOKNORM_GRPC_ADDR and HOOKNORM_HTTP_ADDR (host:port, or a URL for TLS,
 * such as https://hooknorm.example.com:50051) and HOOKNORM_TOKEN, with hooknormd's defaults.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    grpcBaseUrl: asUrl(env.HOOKNORM_GRPC_ADDR || "127.0.0.1:50051"),
    httpBaseUrl: asUrl(env.HOOKNORM_HTTP_ADDR || "127.0.0.1:8080"),
    token: env.HOOKNORM_TOKEN || undefined,
  };
}

function asUrl(address: string): string {
  return /^https?:\/\//.test(address) ? address.replace(/\/+$/, "") : `http://${address}`;
}
