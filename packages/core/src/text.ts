/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair (an emoji is kept or dropped whole). */
export const truncateUtf16 = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
};
