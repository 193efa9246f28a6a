import { createGroup } from '../../lib/group';
import { registerDeleteImage } from './delete';
import { registerDownloadImage } from './download';
import { registerGenerateImage } from './generate';
import { registerGetImage } from './get';
import { registerListImages } from './list';

const app = createGroup();
registerGenerateImage(app);
registerListImages(app);
registerGetImage(app);
registerDeleteImage(app);
registerDownloadImage(app);

export default app;
