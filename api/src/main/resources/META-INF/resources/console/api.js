// Every call goes to this origin's public /v1 API with the signed-in credential as a bearer token.

const STORE = 'llmq.credential';

export function savedCredential() {
  return sessionStorage.getItem(STORE);
}

export function saveCredential(credential) {
  sessionStorage.setItem(STORE, credential);
}

export function forgetCredential() {
  sessionStorage.removeItem(STORE);
}

/** An error answer: its problem+json detail when the API sent one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The API answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

async function failure(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    // not JSON: the status alone is reported
  }
  return new ApiError(response.status, problem);
}

export async function call(credential, method, path, body) {
  const headers = { Authorization: `Bearer ${credential}`, Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!response.ok) {
    throw await failure(response);
  }
  return response.status === 204 ? null : response.json();
}

/**
 * Splits an SSE byte stream's text into events (WHATWG HTML "event stream interpretation"):
 * feed() takes any chunk and returns the events it completed; comments are dropped.
 */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.event = { id: null, event: 'message', data: [] };
  }

  feed(text) {
    this.buffer += text;
    const events = [];
    let end;
    while ((end = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      if (end === this.buffer.length - 1 && this.buffer.endsWith('\r')) {
        break; // a CR at the end of a chunk may be the first half of a CRLF: the next chunk tells
      }
      const line = this.buffer.slice(0, end);
      const width = this.buffer.startsWith('\r\n', end) ? 2 : 1;
      this.buffer = this.buffer.slice(end + width);
      if (line === '') {
        if (this.event.data.length > 0) {
          events.push({ ...this.event, data: this.event.data.join('\n') });
        }
        this.event = { id: null, event: 'message', data: [] };
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) {
          value = value.slice(1);
        }
        if (field === 'data') {
          this.event.data.push(value);
        } else if (field === 'event') {
          this.event.event = value;
        } else if (field === 'id') {
          this.event.id = value;
        }
      }
    }
    return events;
  }
}

/**
 * Follows a job's event stream (GET /v1/jobs/{id}/events) with fetch, since EventSource cannot
 * send an Authorization header. Calls onEvent(name, data) for each event; reconnects with
 * Last-Event-ID when the stream ends before `done`.
 */
export async function followJob(credential, id, onEvent, signal) {
  let lastId = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const headers = { Authorization: `Bearer ${credential}`, Accept: 'text/event-stream' };
    if (lastId !== null) {
      headers['Last-Event-ID'] = lastId;
    }
    const response = await fetch(`/v1/jobs/${encodeURIComponent(id)}/events`, {
      headers,
      credentials: 'omit',
      cache: 'no-store',
      signal,
    });
    if (!response.ok) {
      throw await failure(response);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      for (const event of parser.feed(value)) {
        if (event.id !== null) {
          lastId = event.id;
        }
        const data = JSON.parse(event.data);
        onEvent(event.event, data);
        if (event.event === 'done') {
          return data;
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error('The event stream kept closing before the job ended.');
}
