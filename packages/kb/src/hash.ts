/** SHA-256 of bytes as lowercase hex: a document's content identity and the seed of its chunk ids. */
export const sha256OfBytes = async (bytes: Uint8Array): Promise<string> => {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
};
