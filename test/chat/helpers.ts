import { type AiProvider, type ChatRequest, createLocalProvider } from '@flowspark/ai';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { type ApiResponse, env, expectOk, type TestTenant } from '../helpers/harness';

export const BOTS = '/api/v1/bots';
export const CONVERSATIONS = '/api/v1/conversations';

type Caller = Pick<TestTenant, 'as'>;

export const newBot = async (tenant: Caller, configuration: Record<string, unknown> = {}, name = 'Support bot') =>
  expectOk(await tenant.as('POST', BOTS, { body: { name, configuration } }), 201).body.data;

/** A plain bot (the model answers, with no documents to search) and a conversation with it. */
export const newConversation = async (tenant: Caller, configuration: Record<string, unknown> = {}) => {
  const bot = await newBot(tenant, { agent_type: 'plain', ...configuration });
  const conversation = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/conversations`, { body: {} }), 201).body
    .data;
  return { bot, conversation };
};

export const send = (tenant: Caller, conversationId: string, content: string, headers?: Record<string, string>) =>
  tenant.as('POST', `${CONVERSATIONS}/${conversationId}/messages`, { body: { content }, headers });

/**
 * The local provider, recording every request; `overrides` replace its chat or chatStream. Restored
 * by `restoreProvider` (afterEach).
 */
export const spyProvider = (overrides: Partial<AiProvider> = {}) => {
  const local = createLocalProvider();
  const asked: ChatRequest[] = [];
  const provider: AiProvider = {
    ...local,
    chat: (req) => {
      asked.push(req);
      return (overrides.chat ?? local.chat)(req);
    },
    chatStream: (req) => {
      asked.push(req);
      return (overrides.chatStream ?? local.chatStream)(req);
    },
  };
  setAiProviderFactory(() => provider);
  return asked;
};

export const restoreProvider = () => setAiProviderFactory(null);

export interface SseEvent {
  event: string;
  data: any;
}

export const parseSse = (text: string): SseEvent[] =>
  text
    .split('\n\n')
    .filter((frame) => frame.trim())
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))!.slice(7);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });

/** The conversation's stored messages, straight from D1, in order. */
export const storedMessages = async (conversationId: string) =>
  (
    await env.DB.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq')
      .bind(conversationId)
      .all<Record<string, any>>()
  ).results;

export const storedConversation = (id: string) =>
  env.DB.prepare('SELECT * FROM conversations WHERE id = ?').bind(id).first<Record<string, any>>();

/** The failing fields of a validation error. */
export const failingFields = (res: ApiResponse) => Object.keys(res.body.error?.details?.fields ?? {}).sort();

export interface ChatSocket {
  status: number;
  body?: any;
  response: Response;
  ws: WebSocket;
  frames: Record<string, any>[];
  /** Resolves with the frames once `predicate` holds (fails after `timeoutMs`). */
  waitFor: (
    predicate: (frames: Record<string, any>[]) => boolean,
    timeoutMs?: number,
  ) => Promise<Record<string, any>[]>;
  closed: () => Promise<{ code: number; reason: string }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens GET /conversations/{id}/ws through the Worker, as a client would. */
export const openSocket = async (
  conversationId: string,
  headers: Record<string, string>,
  query = '',
): Promise<ChatSocket> => {
  const { exports } = await import('cloudflare:workers');
  const response = await exports.default.fetch(
    new Request(`http://localhost${CONVERSATIONS}/${conversationId}/ws${query}`, {
      headers: { Upgrade: 'websocket', ...headers },
    }),
  );
  return socketOf(response);
};

/** The client side of an upgrade's response: its frames as they arrive, and how it closed. */
export const socketOf = async (response: Response): Promise<ChatSocket> => {
  const frames: Record<string, any>[] = [];
  const ws = response.webSocket as WebSocket;
  const waitFor = async (predicate: (frames: Record<string, any>[]) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(frames)) {
      if (Date.now() > deadline) throw new Error(`socket condition not met; frames: ${JSON.stringify(frames)}`);
      await sleep(10);
    }
    return frames;
  };
  if (response.status !== 101 || !ws) {
    const text = await response.text();
    const none = () => Promise.reject(new Error('not a socket'));
    return {
      status: response.status,
      body: text ? JSON.parse(text) : undefined,
      response,
      ws,
      frames,
      waitFor,
      closed: none,
    };
  }
  let closedWith: { code: number; reason: string } | undefined;
  ws.accept();
  ws.addEventListener('message', (event) => {
    frames.push(JSON.parse(event.data as string));
  });
  ws.addEventListener('close', (event) => {
    closedWith = { code: event.code, reason: event.reason };
  });
  return {
    status: response.status,
    response,
    ws,
    frames,
    waitFor,
    closed: async () => {
      const deadline = Date.now() + 3000;
      while (!closedWith) {
        if (Date.now() > deadline) throw new Error('socket not closed in time');
        await sleep(10);
      }
      return closedWith;
    },
  };
};

/** The frames of one reply: the user message, its tokens, then both stored messages. */
export const replyFrames = (frames: Record<string, any>[]) => frames.filter((f) => f.type !== 'ready');

/**
 * A stream that yields its first `holdAt` words (default 1), then waits for `release()` before the
 * rest (to act while a reply is being generated; `holdAt: 0` holds before the first token). Flags
 * polled on timers, not promises: the stream runs inside the chat-session object, and a promise made
 * by the test cannot be resolved from there (nor one made there from the test). `aborted()` tells
 * whether the request's signal was aborted (a stop).
 */
export const gatedStream = (words: string[], { holdAt = 1 }: { holdAt?: number } = {}) => {
  let released = false;
  let began = false;
  let signal: AbortSignal | undefined;
  return {
    release: () => {
      released = true;
    },
    began: async () => {
      for (let i = 0; i < 500 && !began; i++) await sleep(10);
      if (!began) throw new Error('the stream never started');
    },
    aborted: () => signal?.aborted ?? false,
    chatStream: async function* (req: ChatRequest) {
      signal = req.signal;
      for (const word of words.slice(0, holdAt)) yield { type: 'delta' as const, text: word };
      began = true;
      while (!released) await sleep(5);
      for (const word of words.slice(holdAt)) yield { type: 'delta' as const, text: word };
      yield {
        type: 'done' as const,
        model: 'gated-1',
        provider: 'local',
        usage: { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length, estimated: false },
      };
    },
  };
};

/** The text of the token events among `frames`, in order. */
export const tokenText = (frames: Record<string, any>[]) =>
  frames
    .filter((f) => f.type === 'token')
    .map((f) => f.text)
    .join('');

/** Opens a socket and waits for its `ready` frame. */
export const readySocket = async (conversationId: string, headers: Record<string, string>, query = '') => {
  const socket = await openSocket(conversationId, headers, query);
  if (socket.status !== 101) throw new Error(`socket refused: ${socket.status} ${JSON.stringify(socket.body)}`);
  await socket.waitFor((f) => f.some((x) => x.type === 'ready'));
  return socket;
};

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const sendFrame = (socket: ChatSocket, frame: Record<string, unknown>) => socket.ws.send(JSON.stringify(frame));

/** Waits until the socket has seen `count` stored messages (`message` events) after frame `from`. */
export const storedFrames = async (socket: ChatSocket, count: number, from = 0) =>
  (await socket.waitFor((f) => f.slice(from).filter((x) => x.type === 'message').length >= count))
    .slice(from)
    .filter((x) => x.type === 'message');
