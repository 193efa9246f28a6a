import { createGroup } from '../../lib/group';
import { registerCancelAgentRun } from './cancel';
import { registerGetAgentRun } from './get';
import { registerListAgentRuns } from './list';
import { registerRunAgent } from './run';

/** The agent: `/agents/run` and its runs. */
const app = createGroup();
registerRunAgent(app);
registerListAgentRuns(app);
registerGetAgentRun(app);
registerCancelAgentRun(app);

export default app;
