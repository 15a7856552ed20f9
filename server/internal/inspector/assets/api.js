// Calls to hooknormd's HTTP API, with the bearer token the user gave, kept in this tab's
// sessionStorage only. Errors carry hooknorm's error body: {code, status, reason, message}.

const tokenKey = "hooknorm.token";

// token is the bearer token in use, or "".
export function token() {
  return sessionStorage.getItem(tokenKey) || "";
}

// setToken keeps token for this tab's session; "" forgets it.
export function setToken(value) {
  if (value) sessionStorage.setItem(tokenKey, value);
  else sessionStorage.removeItem(tokenKey);
}

// headers are the headers of every API call.
export function headers() {
  const h = { Accept: "application/json" };
  const t = token();
  if (t) h.Authorization = "Bearer " + t;
  return h;
}

// APIError is a refusal by hooknormd: the HTTP status and its error body.
export class APIError extends Error {
  constructor(httpStatus, body) {
    super(body.message || `hooknormd answered ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.reason = body.reason || "";
    this.status = body.status || "";
  }
}

// refusal reads the error body of a response that is not 2xx: the body itself, or, from the
// event stream, its one {"error": body} line.
export async function refusal(response) {
  let body = {};
  try {
    body = await response.json();
    if (body.error && typeof body.error === "object") body = body.error;
  } catch {
    body = { message: `hooknormd answered ${response.status} ${response.statusText}` };
  }
  return new APIError(response.status, body);
}

// getJSON GETs path and returns its JSON, or throws an APIError (or a TypeError when the network
// fails).
export async function getJSON(path) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  if (!response.ok) throw await refusal(response);
  return response.json();
}
