import { describe, expect, it } from 'vitest';
import { escapeXml, xmlSafe } from './xml';

describe('XML text', () => {
  it('xmlSafe keeps emoji and CJK but drops controls and lone surrogates', () => {
    expect(xmlSafe('a\u0000b\tc\n😀東\uDC00')).toBe('ab\tc\n😀東');
  });

  it('escapeXml escapes the four special characters after dropping what XML cannot carry', () => {
    expect(escapeXml('<a href="x">Tom & Jerry</a>\u0001\uD800')).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
    expect(escapeXml("it's plain")).toBe("it's plain");
  });
});
