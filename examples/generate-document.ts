// Generates a DOCX document from a prompt, waits for its job and saves the file.
//   npx tsx examples/generate-document.ts [output directory, default: the system's temporary one]
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadJobOutput, unwrap, waitForJob } from '@flowspark/sdk';
import { connect } from './connect';

const client = await connect();
const document = await unwrap(
  client.api.POST('/api/v1/documents/generate', {
    body: {
      title: 'Quarterly report',
      format: 'docx',
      prompt: 'A one-page summary of our third quarter: revenue up 12%, churn down to 2%, two new offices.',
    },
  }),
);
console.log(`document ${document.id}: job ${document.job_id} ${document.status}`);

const job = await waitForJob(client, document.job_id!, {
  onUpdate: ({ status, progress }) => console.log(`  ${status} ${progress}%`),
});
const output = await downloadJobOutput(client, job);
const bytes = await output.bytes();
const path = join(process.argv[2] ?? tmpdir(), output.filename ?? `${document.id}.docx`);
writeFileSync(path, bytes);
console.log(`saved ${path} (${bytes.length} bytes, ${output.contentType})`);
