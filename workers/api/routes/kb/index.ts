import { createGroup } from '../../lib/group';
import { registerDeleteKbDocument } from './delete';
import { registerGetKbDocument } from './get';
import { registerListKbDocuments } from './list';
import { registerListKbQueries } from './queries';
import { registerQueryKb } from './query';
import { registerReindexKbDocument } from './reindex';
import { registerSearchKb } from './search';
import { registerSummarizeKbDocument } from './summarize';
import { registerCreateKbText } from './text';
import { registerUploadKbDocument } from './upload';

const app = createGroup();
registerUploadKbDocument(app);
registerCreateKbText(app);
registerListKbDocuments(app);
registerGetKbDocument(app);
registerDeleteKbDocument(app);
registerReindexKbDocument(app);
registerSearchKb(app);
registerQueryKb(app);
registerListKbQueries(app);
registerSummarizeKbDocument(app);

export default app;
