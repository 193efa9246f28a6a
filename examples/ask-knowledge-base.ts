// Adds a text to the knowledge base, waits until it is indexed, and streams an answer with citations.
//   npx tsx examples/ask-knowledge-base.ts ["your question"]
import { streamKbAnswer, unwrap, waitForJob } from '@flowspark/sdk';
import { connect } from './connect';

const client = await connect();
const added = await unwrap(
  client.api.POST('/api/v1/kb/documents/text', {
    body: {
      title: 'Travel policy',
      format: 'markdown',
      text:
        '# Travel policy\n\n## Trains\nEmployees travel by train for any journey under four hours, in second class.\n\n' +
        '## Hotels\nHotels are booked through the travel desk, at most 150 euros a night.\n\n' +
        '## Expenses\nReceipts are submitted within 30 days of the trip.',
    },
  }),
);
if (added.job_id) await waitForJob(client, added.job_id);
console.log(`indexed ${added.document.id} "${added.document.title}"`);

const question = process.argv[2] ?? 'How much may a hotel cost a night?';
console.log(`Q: ${question}`);
process.stdout.write('A: ');
for await (const event of streamKbAnswer(client, { query: question })) {
  if (event.type === 'token') process.stdout.write(event.text);
  if (event.type === 'citations') {
    process.stdout.write('\n');
    for (const citation of event.citations) console.log(`  [${citation.title}] ${citation.snippet}`);
  }
  if (event.type === 'done') console.log(`(${event.usage.total_tokens} tokens, query ${event.query_id})`);
}
