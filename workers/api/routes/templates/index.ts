import { createGroup } from '../../lib/group';
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

export default app;
