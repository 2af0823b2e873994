// The HTTP side of the playground: every call carries the key and reports the headers it got back.
const KEY_STORAGE = "limner.apiKey";

export function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

export function storeKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** An answer that was not 2xx: `body` is the server's error object (`error`, `message`, ...). */
export class ApiError extends Error {
  constructor(status, body, headers) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const listeners = [];

/** Called with (response headers, status) after every call: credits and limits are shown. */
export function onResponse(listener) {
  listeners.push(listener);
}

export async function call(method, path, { json, body, contentType, signal } = {}) {
  const headers = { Authorization: `Bearer ${storedKey()}` };
  let payload = body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  } else if (contentType) {
    headers["Content-Type"] = contentType;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { error: "network", message: "The server could not be reached." }, new Headers());
  }
  for (const listener of listeners) listener(response.headers, response.status);
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { error: "not_json", message: text.slice(0, 300) };
  }
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  return data;
}

/** Opens the event stream with the key (EventSource cannot send headers) and yields events. */
export async function* events(generationId, signal) {
  const response = await fetch(`/api/v1/generations/${encodeURIComponent(generationId)}/events`, {
    headers: { Authorization: `Bearer ${storedKey()}`, Accept: "text/event-stream" },
    signal,
  });
  for (const listener of listeners) listener(response.headers, response.status);
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new ApiError(response.status, data, response.headers);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseBlock(block);
      if (event) yield event;
    }
  }
}

function parseBlock(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue; // keep-alive comment
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (!data.length) return null;
  try {
    return { event: name, data: JSON.parse(data.join("\n")) };
  } catch {
    return { event: name, data: {} };
  }
}
