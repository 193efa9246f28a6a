/**
 * Fakes of the providers' documented transports, for this package's unit tests only (not exported
 * from the package). They record every call so tests can check what the adapters sent.
 */
import type { AiProviderOptions } from './factory';

/** A byte stream of `text` cut into pieces of the given sizes (cycled): boundaries land mid-line. */
export const chunkedStream = (text: string, sizes: number[] = [7, 3, 11]): ReadableStream<Uint8Array> => {
  const bytes = new TextEncoder().encode(text);
  const pieces: Uint8Array[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const size = sizes[k % sizes.length];
    pieces.push(bytes.slice(i, i + size));
    i += size;
  }
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
};

/** An SSE body: one `data:` event per payload (objects JSON-encoded), then `data: [DONE]`. */
export const sseBody = (payloads: unknown[]): string =>
  `${payloads.map((p) => `data: ${typeof p === 'string' ? p : JSON.stringify(p)}\n\n`).join('')}data: [DONE]\n\n`;

export interface RecordedRun {
  model: string;
  inputs: Record<string, unknown>;
  options?: { signal?: AbortSignal };
}

/** A fake AI binding: `run` records the call and answers whatever `answer` returns (or throws). */
export const fakeAiBinding = (answer: (call: RecordedRun, index: number) => unknown | Promise<unknown>) => {
  const calls: RecordedRun[] = [];
  const binding = {
    async run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }) {
      const call = { model, inputs, options };
      calls.push(call);
      return answer(call, calls.length - 1);
    },
  };
  return { ai: binding as unknown as Ai, calls };
};

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

/** A fake fetch: records method, URL, headers and the parsed JSON body; answers `answer`'s Response. */
export const fakeFetch = (answer: (req: RecordedRequest, index: number) => Response | Promise<Response>) => {
  const requests: RecordedRequest[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = request.method === 'GET' ? '' : await request.text();
    const recorded: RecordedRequest = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(recorded);
    return answer(recorded, requests.length - 1);
  }) as typeof fetch;
  return { fetchFn, requests };
};

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** Retry options that never sleep; the delays asked for are recorded. */
export const instantRetries = (): AiProviderOptions & { delays: number[] } => {
  const delays: number[] = [];
  return {
    delays,
    random: () => 0.5,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
};

/** A tiny valid JPEG header is enough for type sniffing; tests only check the bytes round-trip. */
export const FAKE_JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
export const FAKE_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);

export const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};
