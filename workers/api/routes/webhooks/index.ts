import { createGroup } from '../../lib/group';
import { registerWebhookRoutes } from './routes';

/** Outgoing webhooks: `/webhooks…` (owners and admins). */
const app = createGroup();
registerWebhookRoutes(app);

export default app;
