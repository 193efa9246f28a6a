// The chat bench's baseline (`node --import tsx bench/chat-direct.ts '{"count","system_prompt","content"}'`):
// the reply a plain bot with this system prompt and no history gives to `content`, generated straight
// through `aiProvider(env)` with the local provider, with no socket, session, D1 or gate on the way.
// The same request the chat session builds (`buildChatMessages`). Prints one JSON line.
import { buildChatMessages, DEFAULT_BOT_CONFIGURATION, mergeConfiguration, REPLY_MAX_TOKENS } from '@flowspark/chat';
import type { Env } from '../workers/env';
import { aiProvider } from '../workers/lib/ai';

const args = JSON.parse(process.argv[2] ?? '{}') as { count?: number; system_prompt?: string; content?: string };
const count = args.count ?? 50;
const content = args.content ?? 'Hello';
const configuration = mergeConfiguration(
  { ...DEFAULT_BOT_CONFIGURATION },
  { agent_type: 'plain', chat_history_length: 0, ...(args.system_prompt ? { system_prompt: args.system_prompt } : {}) },
);
const provider = aiProvider({ AI_PROVIDER: 'local' } as unknown as Env);
const request = {
  messages: buildChatMessages(configuration, [], content, []),
  temperature: configuration.temperature,
  max_tokens: REPLY_MAX_TOKENS,
};

const firstToken: number[] = [];
const full: number[] = [];
let text = '';
let tokens = 0;
for (let i = 0; i < count; i += 1) {
  const started = performance.now();
  let first: number | null = null;
  text = '';
  tokens = 0;
  for await (const event of provider.chatStream(request)) {
    if (event.type !== 'delta' || !event.text) continue;
    first ??= performance.now() - started;
    text += event.text;
    tokens += 1;
  }
  firstToken.push(first ?? Number.NaN);
  full.push(performance.now() - started);
}
console.log(JSON.stringify({ first_token_ms: firstToken, full_ms: full, text: text.trim(), tokens }));
