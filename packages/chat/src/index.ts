// @flowspark/chat: chat bots — bots and their configuration, conversations, messages and replies.
// Rows and domain values only: the API presents them. frames.ts is the socket protocol (types only).
export * from './access';
export * from './bots';
export * from './configuration';
export * from './conversations';
export * from './export';
export type * from './frames';
export * from './live';
export * from './messages';
export * from './ports';
export * from './reply';
export * from './retrieval';
export * from './training';
export * from './widget';
