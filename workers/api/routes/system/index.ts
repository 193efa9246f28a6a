import { createGroup } from '../../lib/group';
import { registerDocs } from './docs';
import { registerHealth } from './health';
import { registerJwks } from './jwks';
import { registerOpenApi } from './openapi';
import { registerReady } from './ready';

/** Health, readiness, keys and docs; also answers every path no other group owns (404). */
const app = createGroup('/');
registerHealth(app);
registerReady(app);
registerJwks(app);
registerOpenApi(app);
registerDocs(app);

export default app;
