/**
 * XML text for the parts the renderers write themselves (SpreadsheetML, and the text PresentationML
 * gets through pptxgenjs).
 */

// XML 1.0 forbids most C0 controls, U+FFFE/U+FFFF and unpaired surrogates: a single one makes
// Excel refuse the whole file, so they are dropped rather than escaped.
const INVALID_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: same set as above, without the g flag
const HAS_INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
const HAS_SPECIAL = /[&<>"]/;
const SPECIAL = /[&<>"]/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Removes characters that XML 1.0 cannot carry (emoji and other astral characters are kept). */
export const xmlSafe = (text: string): string => (HAS_INVALID_XML.test(text) ? text.replace(INVALID_XML, '') : text);

/** Escapes text for an element or a double-quoted attribute, after `xmlSafe`. */
export const escapeXml = (text: string): string => {
  const safe = xmlSafe(text);
  return HAS_SPECIAL.test(safe) ? safe.replace(SPECIAL, (c) => ENTITY[c]!) : safe;
};

/** The declaration every part starts with. */
export const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
