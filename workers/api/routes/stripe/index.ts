import { createGroup } from '../../lib/group';
import { registerStripeWebhook } from './webhook';

/** `POST /webhooks/stripe`: Stripe's events (public, verified by their signature). */
const app = createGroup();
registerStripeWebhook(app);

export default app;
