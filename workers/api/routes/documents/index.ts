import { createGroup } from '../../lib/group';
import { registerDeleteDocument } from './delete';
import { registerDownloadDocument } from './download';
import { registerGenerateDocument } from './generate';
import { registerGetDocument } from './get';
import { registerListDocuments } from './list';
import { registerUpdateDocument } from './update';
import { registerListDocumentVersions } from './versions';

const app = createGroup();
registerGenerateDocument(app);
registerListDocuments(app);
registerGetDocument(app);
registerUpdateDocument(app);
registerDeleteDocument(app);
registerDownloadDocument(app);
registerListDocumentVersions(app);

export default app;
