import { describe, expect, it } from 'vitest';
import {
  BotConfigurationInputSchema,
  DEFAULT_BOT_CONFIGURATION,
  isExactOrigin,
  mergeConfiguration,
  readConfiguration,
} from './configuration';

const issuesOf = (input: unknown) => {
  const result = BotConfigurationInputSchema.safeParse(input);
  if (result.success) return {};
  const out: Record<string, string[]> = {};
  for (const issue of result.error.issues) {
    const path = issue.path.join('.');
    out[path] = [...(out[path] ?? []), issue.code];
  }
  return out;
};

describe('bot configuration', () => {
  it('fills every field left out with its default, the theme field by field', () => {
    const input = BotConfigurationInputSchema.parse({ temperature: 1.2, theme: { title: 'Support' } });
    const merged = mergeConfiguration({ ...DEFAULT_BOT_CONFIGURATION }, input);
    expect(merged).toEqual({
      ...DEFAULT_BOT_CONFIGURATION,
      temperature: 1.2,
      theme: { ...DEFAULT_BOT_CONFIGURATION.theme, title: 'Support' },
    });
    expect(mergeConfiguration({ ...DEFAULT_BOT_CONFIGURATION })).toEqual(DEFAULT_BOT_CONFIGURATION);
  });

  it('a change keeps the stored fields it does not name', () => {
    const stored = mergeConfiguration(
      { ...DEFAULT_BOT_CONFIGURATION },
      { chat_history_length: 3, theme: { position: 'bottom-left' } },
    );
    const changed = mergeConfiguration(stored, { theme: { primary_color: '#000' }, model: null });
    expect(changed.chat_history_length).toBe(3);
    expect(changed.theme).toMatchObject({ position: 'bottom-left', primary_color: '#000' });
    expect(changed.model).toBeNull();
  });

  it('refuses unknown fields at both levels and out-of-range values, naming the field', () => {
    expect(issuesOf({ colour: 'red' })).toEqual({ '': ['unrecognized_keys'] });
    expect(issuesOf({ theme: { font: 'x' } })).toEqual({ theme: ['unrecognized_keys'] });
    expect(issuesOf({ temperature: 2.5, chat_history_length: 51, top_k: 0, agent_type: 'react' })).toEqual({
      temperature: ['too_big'],
      chat_history_length: ['too_big'],
      top_k: ['too_small'],
      agent_type: ['invalid_value'],
    });
    expect(issuesOf({ chat_history_length: 2.5, visitor_message_limit: 0, visibility: 'secret' })).toEqual({
      chat_history_length: ['invalid_type'],
      visitor_message_limit: ['too_small'],
      visibility: ['invalid_value'],
    });
    expect(issuesOf({ theme: { primary_color: 'blue', avatar_url: 'http://x.test/a.png' } })).toEqual({
      'theme.primary_color': ['invalid_format'],
      'theme.avatar_url': ['custom'],
    });
    expect(issuesOf({ suggested_messages: ['Hi', 'Hi', ''] })).toEqual({
      'suggested_messages.1': ['custom'],
      'suggested_messages.2': ['too_small'],
    });
    expect(issuesOf({ system_prompt: '   ' })).toEqual({ system_prompt: ['too_small'] });
  });

  it('allowed origins are exact origins', () => {
    for (const good of [
      'https://www.example.com',
      'https://example.com:8443',
      'http://localhost:5173',
      'http://127.0.0.1',
    ]) {
      expect(isExactOrigin(good), good).toBe(true);
    }
    for (const bad of [
      'https://example.com/',
      'https://example.com/path',
      'https://Example.com',
      'https://example.com:443',
      'https://*.example.com',
      '*',
      'null',
      'example.com',
      'http://example.com',
      'ftp://example.com',
      'https://user@example.com',
      'https://example.com?x=1',
      'https://example.com#top',
    ]) {
      expect(isExactOrigin(bad), bad).toBe(false);
    }
    expect(issuesOf({ allowed_origins: ['https://a.test', 'https://a.test', 'https://b.test/'] })).toEqual({
      'allowed_origins.1': ['custom'],
      'allowed_origins.2': ['custom'],
    });
  });

  it('reads a stored configuration completed with the defaults of fields it lacks', () => {
    expect(readConfiguration({ temperature: 0.9, theme: { title: 'Old' } })).toEqual({
      ...DEFAULT_BOT_CONFIGURATION,
      temperature: 0.9,
      theme: { ...DEFAULT_BOT_CONFIGURATION.theme, title: 'Old' },
    });
    expect(readConfiguration(null)).toEqual(DEFAULT_BOT_CONFIGURATION);
  });
});
