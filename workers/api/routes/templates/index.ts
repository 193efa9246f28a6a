import { createGroup } from '../../lib/group';
import { registerCopyTemplate } from './copy';
import { registerCreateTemplate } from './create';
import { registerDeleteTemplate } from './delete';
import { registerGetTemplate } from './get';
import { registerListTemplates } from './list';
import { registerUpdateTemplate } from './update';
import { registerUploadTemplate } from './upload';

const app = createGroup();
registerListTemplates(app);
registerCreateTemplate(app);
registerUploadTemplate(app);
registerGetTemplate(app);
registerUpdateTemplate(app);
registerDeleteTemplate(app);
registerCopyTemplate(app);

export default app;
