import { describe, expect, it } from 'vitest';
import { truncateUtf16 } from './text';

describe('truncateUtf16', () => {
  it('cuts to at most max UTF-16 units, never splitting a surrogate pair', () => {
    expect(truncateUtf16('short', 10)).toBe('short');
    expect(truncateUtf16('abcdef', 3)).toBe('abc');
    // 😀 is two units: at 3 it does not fit after "ab", at 4 it does.
    expect(truncateUtf16('ab😀cd', 3)).toBe('ab');
    expect(truncateUtf16('ab😀cd', 4)).toBe('ab😀');
    expect(truncateUtf16('東京', 1)).toBe('東');
    expect(truncateUtf16('x', 0)).toBe('');
  });
});
