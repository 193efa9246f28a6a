import { createGroup } from '../../lib/group';

const app = createGroup();

export default app;
