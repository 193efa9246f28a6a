import { describe, expect, it } from 'vitest';
import { readEventStream } from '../src/sse';

/** A body delivered in exactly these chunks. */
const body = (chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

const collect = async (chunks: string[]) => {
  const events = [];
  for await (const event of readEventStream(body(chunks))) events.push(event);
  return events;
};

describe('readEventStream', () => {
  it('parses events split anywhere across chunks, with any line end, skipping comments', async () => {
    const text =
      ': keep-alive\n\nevent: token\ndata: {"text":"Hel"}\n\r\nevent: token\r\nid: 7\r\ndata: {"text":"lo"}\r\n\r\n' +
      'data: first\rdata: second\r\rdata:no-space\n\n';
    const expected = [
      { event: 'token', data: '{"text":"Hel"}', id: undefined },
      { event: 'token', data: '{"text":"lo"}', id: '7' },
      { event: 'message', data: 'first\nsecond', id: '7' },
      { event: 'message', data: 'no-space', id: '7' },
    ];
    expect(await collect([text])).toEqual(expected);
    // Every split point, including between \r and \n.
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(await collect([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('drops an event the stream ended before its blank line, and cancels the body when left early', async () => {
    expect(await collect(['data: done\n\ndata: cut off'])).toEqual([{ event: 'message', data: 'done', id: undefined }]);
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readEventStream(endless)) {
      expect(event.data).toBe('tick');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
