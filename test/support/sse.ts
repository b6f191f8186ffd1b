export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** Every event received so far (comments excluded). */
  events: SseEvent[];
  /** Comment lines received so far (heartbeats). */
  comments: string[];
  /** Resolves with the next event matching `match` (already received ones count), or fails after `timeoutMs`. */
  next(match?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/**
 * A text/event-stream reader over fetch (as a browser's fetch-based client
 * would, with the Authorization header), parsing events per the HTML spec.
 */
export async function openEvents(baseUrl: string, path: string, headers: Record<string, string>): Promise<SseClient> {
  const controller = new AbortController();
  const res = await fetch(baseUrl + path, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let taken = 0;
  const notify = () => waiters.forEach((w) => w());

  let ended: Promise<void> = Promise.resolve();
  if (res.body && res.headers.get('content-type')?.startsWith('text/event-stream')) {
    ended = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      let current: { id?: string; event?: string; data: string[] } = { data: [] };
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
            if (line === '') {
              if (current.data.length > 0 || current.event) {
                events.push({ id: current.id, event: current.event, data: current.data.join('\n') });
                notify();
              }
              current = { data: [] };
            } else if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
              notify();
            } else {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') current.id = value;
              else if (field === 'event') current.event = value;
              else if (field === 'data') current.data.push(value);
            }
          }
        }
      } catch {
        // aborted by close()
      } finally {
        notify();
      }
    })();
  }
  let done = false;
  void ended.then(() => (done = true));

  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    ended,
    close: () => controller.abort(),
    next(match = () => true, timeoutMs = 15_000) {
      return new Promise<SseEvent>((resolve, reject) => {
        const check = () => {
          for (let i = taken; i < events.length; i++) {
            if (match(events[i])) {
              taken = i + 1;
              cleanup();
              resolve(events[i]);
              return;
            }
          }
          if (done) {
            cleanup();
            reject(new Error(`stream ended without the event; got ${JSON.stringify(events)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
