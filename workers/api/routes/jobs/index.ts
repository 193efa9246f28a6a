import { createGroup } from '../../lib/group';
import { registerCancelJob } from './cancel';
import { registerJobEvents } from './events';
import { registerJobFeed } from './feed';
import { registerCreateFeedTicket } from './feed-ticket';
import { registerGetJob } from './get';
import { registerListJobs } from './list';
import { JobEventSchema } from './schemas';

const app = createGroup();
// The feed routes first: `/jobs/{id}` would otherwise claim `/jobs/feed` and refuse "feed" as an id.
registerJobFeed(app);
registerCreateFeedTicket(app);
registerListJobs(app);
registerGetJob(app);
registerCancelJob(app);
registerJobEvents(app);
// What the feed WebSocket sends: not a route body, so registered by hand for the document.
app.openAPIRegistry.register('JobEvent', JobEventSchema);

export default app;
