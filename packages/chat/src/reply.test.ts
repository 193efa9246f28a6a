import { describe, expect, it } from 'vitest';
import { DEFAULT_BOT_CONFIGURATION, mergeConfiguration } from './configuration';
import { buildChatMessages, RAG_INSTRUCTIONS, replyCitations } from './reply';
import type { BotPassage } from './retrieval';

const passage = (n: number): BotPassage => ({
  document_id: `kbd_${n}`,
  chunk_id: `chk_${n}`,
  title: `Doc ${n}`,
  page_number: null,
  text: `Passage number ${n}.`,
  snippet: `Passage ${n}`,
  score: 1 / n,
});

describe('the messages a bot sends the model', () => {
  it('a plain bot: its system prompt, the history in order, then the new message', () => {
    const configuration = mergeConfiguration(
      { ...DEFAULT_BOT_CONFIGURATION },
      {
        agent_type: 'plain',
        system_prompt: 'Be terse.',
      },
    );
    const history = [
      { role: 'user' as const, content: 'one' },
      { role: 'assistant' as const, content: 'two' },
    ];
    expect(buildChatMessages(configuration, history, 'three', [])).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'two' },
      { role: 'user', content: 'three' },
    ]);
  });

  it('a rag bot: its prompt, the instructions and the numbered passages', () => {
    const configuration = mergeConfiguration({ ...DEFAULT_BOT_CONFIGURATION }, { system_prompt: 'Be kind.' });
    const [system] = buildChatMessages(configuration, [], 'q', [passage(1), passage(2)]);
    expect(system).toEqual({
      role: 'system',
      content: `Be kind.\n\n${RAG_INSTRUCTIONS}\n\nSources:\n\n[1] Doc 1\nPassage number 1.\n\n[2] Doc 2\nPassage number 2.`,
    });
  });
});

describe('reply citations', () => {
  it('are the passages the reply cites, in order of mention; every passage when it cites none', () => {
    const passages = [passage(1), passage(2), passage(3)];
    expect(replyCitations('See [3] and [1, 9].', passages).map((c) => c.chunk_id)).toEqual(['chk_3', 'chk_1']);
    expect(replyCitations('No markers.', passages).map((c) => c.chunk_id)).toEqual(['chk_1', 'chk_2', 'chk_3']);
    expect(replyCitations('Anything [1]', [])).toEqual([]);
    expect(replyCitations('x [2]', passages)[0]).toEqual({
      document_id: 'kbd_2',
      chunk_id: 'chk_2',
      title: 'Doc 2',
      page_number: null,
      snippet: 'Passage 2',
      score: 0.5,
    });
  });
});
