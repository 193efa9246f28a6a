/**
 * Routes that take file uploads, with their own body limits above the global `maxBodyBytes`. The
 * global body limit applies these instead, so the request is refused before it is read; each route
 * still checks its file's own size to answer with a precise message.
 */
const MB = 1024 * 1024;
/** Room for the multipart framing and the form's text fields next to the file. */
const FORM_OVERHEAD_BYTES = 256 * 1024;

const UPLOAD_LIMITS: ReadonlyArray<{ method: string; path: RegExp; maxBytes: number }> = [
  // Keep in step with MAX_TEMPLATE_FILE_BYTES in @flowspark/documents.
  { method: 'POST', path: /^\/api\/v1\/templates\/upload\/?$/, maxBytes: 10 * MB + FORM_OVERHEAD_BYTES },
  // Keep in step with KB_MAX_UPLOAD_BYTES in @flowspark/kb (a larger KB_MAX_UPLOAD_BYTES var
  // needs a larger limit here too; a smaller one is checked by the route itself).
  { method: 'POST', path: /^\/api\/v1\/kb\/documents\/upload\/?$/, maxBytes: 20 * MB + FORM_OVERHEAD_BYTES },
  // 2,000,000 characters of text as JSON: up to 4 bytes per character in UTF-8 (the route checks the count).
  { method: 'POST', path: /^\/api\/v1\/kb\/documents\/text\/?$/, maxBytes: 8 * MB + FORM_OVERHEAD_BYTES },
];

/** The body limit of an upload route, or undefined for every other route. */
export const uploadLimitFor = (method: string, path: string): number | undefined =>
  UPLOAD_LIMITS.find((limit) => limit.method === method && limit.path.test(path))?.maxBytes;
