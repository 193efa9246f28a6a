/** The subprotocol starting with `prefix` that the client offered in `Sec-WebSocket-Protocol`, if any. */
export const offeredSubprotocol = (header: string | undefined, prefix: string): string | undefined =>
  header
    ?.split(',')
    .map((value) => value.trim())
    .find((value) => value.startsWith(prefix));
