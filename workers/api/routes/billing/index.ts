import { createGroup } from '../../lib/group';
import { registerGetTokens } from './tokens';

/** Billing: `/billing…` (the token wallet). */
const app = createGroup();
registerGetTokens(app);

export default app;
