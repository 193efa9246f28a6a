import { createGroup } from '../../lib/group';
import { registerCreateBot } from './bots-create';
import { registerDeleteBot } from './bots-delete';
import { registerGetBot } from './bots-get';
import { registerListBots } from './bots-list';
import { registerRotateBotKey } from './bots-rotate-key';
import { registerUpdateBot } from './bots-update';
import { registerCreateConversation } from './conversations-create';
import { registerDeleteConversation } from './conversations-delete';
import { registerExportConversation } from './conversations-export';
import { registerGetConversation } from './conversations-get';
import { registerListConversations } from './conversations-list';
import { registerListMessages } from './messages-list';
import { registerSendMessage } from './messages-send';
import { registerConversationSocket } from './socket';
import { registerCreateSocketTicket } from './socket-ticket';

/** Bots, their conversations and messages: `/bots…` and `/conversations…`. */
const app = createGroup();
registerListBots(app);
registerCreateBot(app);
registerGetBot(app);
registerUpdateBot(app);
registerDeleteBot(app);
registerRotateBotKey(app);
registerListConversations(app);
registerCreateConversation(app);
registerGetConversation(app);
registerDeleteConversation(app);
registerExportConversation(app);
registerListMessages(app);
registerSendMessage(app);
registerConversationSocket(app);
registerCreateSocketTicket(app);

export default app;
