export interface SseOptions {
  /** Longest silence between two chunks before the stream is given up. */
  idleTimeoutMs: number;
  onTimeout: () => Error;
  signal?: AbortSignal;
}

const readWithin = <T>(read: Promise<T>, options: SseOptions): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(options.onTimeout()), options.idleTimeoutMs);
    if (options.signal) {
      onAbort = () => reject(options.signal?.reason);
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([read, limit]).finally(() => {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  });
};

const isCompleteJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/**
 * The `data:` payloads of a Server-Sent Events byte stream, in order (including a final `[DONE]`).
 * Chunk boundaries may fall anywhere, even inside a UTF-8 character or a `data:` line. Events end at a
 * blank line; a server that forgets the blank line between two JSON payloads is tolerated.
 */
export async function* sseData(stream: ReadableStream<Uint8Array>, options: SseOptions): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let finished = false;

  const takeEvent = (): string | undefined => {
    if (data.length === 0) return undefined;
    const payload = data.join('\n');
    data = [];
    return payload;
  };

  try {
    while (!finished) {
      const { done, value } = await readWithin(reader.read(), options);
      if (done) {
        finished = true;
        buffer += `${decoder.decode()}\n\n`;
      } else {
        buffer += decoder.decode(value, { stream: true });
      }
      let newline = buffer.indexOf('\n');
      while (newline !== -1) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (line === '') {
          const payload = takeEvent();
          if (payload !== undefined) yield payload;
          continue;
        }
        // Comments (`: keep-alive`) and other fields (event, id, retry) carry no payload here.
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        if (field !== 'data') continue;
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (data.length > 0 && isCompleteJson(data.join('\n'))) {
          const payload = takeEvent();
          if (payload !== undefined) yield payload;
        }
        data.push(value);
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
