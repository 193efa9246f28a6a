import { createGroup } from '../../lib/group';
import { registerGetUsageSummary } from './summary';
import { registerGetUsage } from './usage';

/** Usage analytics: `/analytics…` (owners and admins). */
const app = createGroup();
registerGetUsage(app);
registerGetUsageSummary(app);

export default app;
