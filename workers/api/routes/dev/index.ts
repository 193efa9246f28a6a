import { createGroup } from '../../lib/group';
import { registerOutbox } from './outbox';

/** Local-only helpers; every route here refuses itself (404) when `devRoutes` is off. */
const app = createGroup();
registerOutbox(app);

export default app;
