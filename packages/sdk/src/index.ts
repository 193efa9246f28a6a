export {
  type ClientOptions,
  createClient,
  type FlowSparkClient,
  type Tokens,
  unwrap,
  type WebSocketConstructor,
} from './client';
export { FlowSparkError } from './errors';
export {
  downloadJobOutput,
  FeedClosedError,
  type FeedControl,
  type FeedMessage,
  type FeedOptions,
  getJob,
  isJobEvent,
  type Job,
  type JobEvent,
  JobFailedError,
  type JobOutput,
  openJobFeed,
  type WaitOptions,
  waitForJob,
} from './jobs';
export { type ItemOf, type PaginatedPath, type PaginateOptions, paginate } from './paginate';
export type { components, operations, paths } from './schema';
export { readEventStream, type ServerSentEvent } from './sse';
export { type ChatReplyEvent, type KbAnswerEvent, streamChatReply, streamKbAnswer } from './streams';
