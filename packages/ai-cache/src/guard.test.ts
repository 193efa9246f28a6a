import { describe, expect, it } from 'vitest';
import { guardTokens, promptGuard } from './guard';

describe('prompt guards', () => {
  it('rewordings without numbers or negations share a guard', async () => {
    expect(await promptGuard('How do I reset my password?')).toBe(await promptGuard('How can I reset a password'));
    expect(guardTokens('How do I reset my password?')).toEqual([]);
  });

  it('a changed number, an added negation or a contraction changes it', async () => {
    const base = await promptGuard('What was our revenue in 2023?');
    expect(await promptGuard('What was our revenue in 2024?')).not.toBe(base);
    expect(await promptGuard('Revenue in 2023: what was it?')).toBe(base);
    const plans = await promptGuard('Which plans include single sign-on?');
    expect(await promptGuard('Which plans do not include single sign-on?')).not.toBe(plans);
    expect(await promptGuard("Which plans don't include single sign-on?")).not.toBe(plans);
    expect(await promptGuard('Which plans don’t include single sign-on?')).toBe(
      await promptGuard('Which plans do not include single sign-on?'),
    );
    expect(guardTokens('Ist das nicht kostenlos?')).toEqual(['not']);
  });

  it('numbers are compared as written: 3.5 is not 35, and 1,000 keeps its groups', () => {
    expect(guardTokens('3.5 GB')).not.toEqual(guardTokens('35 GB'));
    expect(guardTokens('1,000 users')).toEqual(['#000', '#1', '#1,000']);
    // Digits of any script are numbers (compared as written).
    expect(guardTokens('Room ٣')).toEqual(['#٣']);
  });

  it('is a hash: the figures of a prompt are not kept', async () => {
    expect(await promptGuard('card 4111 1111 1111 1111')).toMatch(/^[0-9a-f]{64}$/);
  });
});
