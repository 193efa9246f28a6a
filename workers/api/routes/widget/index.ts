import { createGroup } from '../../lib/group';
import { registerWidgetConfig } from './config';
import { registerWidgetDemo } from './demo';
import { registerWidgetSession } from './session';
import { registerWidgetSocket } from './socket';

/** The embeddable chat widget's public routes, outside /api/v1: `/widget/{public_key}/…`. */
const app = createGroup('/');
// Before the `{public_key}` routes, so `/widget/demo` is never read as a key.
registerWidgetDemo(app);
registerWidgetConfig(app);
registerWidgetSession(app);
registerWidgetSocket(app);

export default app;
