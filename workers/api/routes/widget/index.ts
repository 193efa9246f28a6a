import { createGroup } from '../../lib/group';
import { registerWidgetConfig } from './config';
import { registerWidgetSession } from './session';

/** The embeddable chat widget's public routes, outside /api/v1: `/widget/{public_key}/…`. */
const app = createGroup('/');
registerWidgetConfig(app);
registerWidgetSession(app);

export default app;
