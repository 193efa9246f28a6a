/**
 * A conversation exported whole: the conversation, its bot's name and every message with its
 * citations, as the caller may see it (another tenant's, or one the caller may not see, is not found).
 * The API presents it as JSON; `exportMarkdown` writes the Markdown version.
 */
import { type Database, schema } from '@flowspark/db';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { ChatActor } from './access';
import type { ConversationRow } from './conversations';
import { requireConversation } from './conversations';
import type { ChatCitation, MessageRow } from './messages';

const { bots, messages } = schema;

/** Messages an export holds at most; a longer conversation is cut (and says so). */
export const MAX_EXPORT_MESSAGES = 10_000;
const PAGE = 1_000;

export interface ConversationExport {
  conversation: ConversationRow;
  botName: string;
  messages: MessageRow[];
  /** More than MAX_EXPORT_MESSAGES: the export holds the first ones. */
  truncated: boolean;
}

export const exportConversation = async (
  db: Database,
  actor: ChatActor,
  conversationId: string,
): Promise<ConversationExport> => {
  const conversation = await requireConversation(db, actor, conversationId);
  const [bot] = await db
    .select({ name: bots.name })
    .from(bots)
    .where(and(eq(bots.orgId, actor.orgId), eq(bots.id, conversation.botId)))
    .limit(1);
  const rows: MessageRow[] = [];
  let after = 0;
  let truncated = false;
  // By seq, a page at a time: one bounded query each, whatever the conversation's length.
  while (true) {
    const page = await db
      .select()
      .from(messages)
      .where(and(eq(messages.orgId, actor.orgId), eq(messages.conversationId, conversationId), gt(messages.seq, after)))
      .orderBy(asc(messages.seq))
      .limit(PAGE);
    rows.push(...page);
    if (rows.length > MAX_EXPORT_MESSAGES) {
      rows.length = MAX_EXPORT_MESSAGES;
      truncated = true;
      break;
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.seq;
  }
  return { conversation, botName: bot?.name ?? '', messages: rows, truncated };
};

/** One line of text for a heading or a list item: no line breaks. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

const citationLine = (citation: ChatCitation, n: number) =>
  `${n}. ${oneLine(citation.title) || citation.document_id}${citation.snippet ? ` — ${oneLine(citation.snippet)}` : ''}`;

/**
 * The conversation as Markdown: a title, what it is, then each message under its author and time,
 * a reply's sources listed beneath it. Message text is written as it was sent.
 */
export const exportMarkdown = (data: ConversationExport, exportedAt: string): string => {
  const { conversation } = data;
  const lines = [
    `# ${oneLine(conversation.title ?? '') || 'Conversation'}`,
    '',
    `- Conversation: \`${conversation.id}\``,
    `- Bot: ${oneLine(data.botName) || conversation.botId} (\`${conversation.botId}\`)`,
    `- Started: ${conversation.createdAt}`,
    `- Messages: ${data.messages.length}${data.truncated ? ` (the first ${MAX_EXPORT_MESSAGES})` : ''}`,
    `- Exported: ${exportedAt}`,
  ];
  for (const message of data.messages) {
    const who = message.role === 'user' ? 'User' : 'Assistant';
    lines.push('', `## ${who} · ${message.createdAt}${message.stopped ? ' · stopped' : ''}`, '');
    lines.push(message.content || '_(no text)_');
    const citations = message.citations as ChatCitation[];
    if (citations.length > 0) {
      lines.push('', 'Sources:', '', ...citations.map((c, i) => citationLine(c, i + 1)));
    }
  }
  return `${lines.join('\n')}\n`;
};
