import { createGroup } from '../../lib/group';
import { registerDeletePresentation } from './delete';
import { registerDownloadPresentation } from './download';
import { registerGeneratePresentation } from './generate';
import { registerGetPresentation } from './get';
import { registerListPresentations } from './list';

const app = createGroup();
registerGeneratePresentation(app);
registerListPresentations(app);
registerGetPresentation(app);
registerDeletePresentation(app);
registerDownloadPresentation(app);

export default app;
