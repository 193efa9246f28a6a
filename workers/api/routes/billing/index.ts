import { createGroup } from '../../lib/group';
import { registerCheckout } from './checkout';
import { registerListPlans } from './plans';
import { registerPortal } from './portal';
import { registerGetSubscription } from './subscription';
import { registerGetTokens } from './tokens';

/** Billing: `/billing…` (plans, the subscription through Stripe, the token wallet). */
const app = createGroup();
registerListPlans(app);
registerGetSubscription(app);
registerCheckout(app);
registerPortal(app);
registerGetTokens(app);

export default app;
