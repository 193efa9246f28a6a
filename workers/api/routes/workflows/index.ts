import { createGroup } from '../../lib/group';
import { registerExecutionRoutes } from './executions';
import { registerHookRoutes } from './hooks';
import { registerWorkflowRoutes } from './workflows';

/** Workflows, their executions, and the webhook that triggers them: `/workflows…`, `/executions…`, `/hooks…`. */
const app = createGroup();
registerWorkflowRoutes(app);
registerExecutionRoutes(app);
registerHookRoutes(app);

export default app;
