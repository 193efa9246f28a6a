import { createGroup } from '../../lib/group';
import { registerCreateApiKey } from './create';
import { registerListApiKeys } from './list';
import { registerRevokeApiKey } from './revoke';

const app = createGroup();
registerCreateApiKey(app);
registerListApiKeys(app);
registerRevokeApiKey(app);

export default app;
