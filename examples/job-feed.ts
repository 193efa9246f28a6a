// Opens the organization's job feed, starts an image, and prints every event until the image is done.
//   npx tsx examples/job-feed.ts
import { isJobEvent, openJobFeed, unwrap } from '@flowspark/sdk';
import { connect } from './connect';

const client = await connect();
let imageJob: string | undefined;
for await (const message of openJobFeed(client)) {
  if (message.type === 'ready') {
    console.log(`feed open (last event ${message.last_event_id})`);
    const image = await unwrap(
      client.api.POST('/api/v1/images/generate', { body: { prompt: 'A lighthouse at dawn' } }),
    );
    imageJob = image.job_id ?? undefined;
    console.log(`image ${image.id}: job ${imageJob}`);
  } else if (isJobEvent(message)) {
    console.log(`#${message.id} ${message.job_id} ${message.type} ${message.status} ${message.progress}%`);
    if (message.job_id === imageJob && ['done', 'error', 'cancelled'].includes(message.status)) break;
  }
}
console.log('feed closed');
