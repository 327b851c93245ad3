/**
 * Run the notes app on its own: `CHARTSIDE_API_KEY=cs_test_… npx tsx examples/notes-app/main.ts`
 * (`PORT`, default 4300; `CHARTSIDE_URL`, default http://localhost:3000). `npm start` runs it for
 * you next to the gateway.
 */
import { startNotesApp } from './server.ts';

const apiKey = process.env.CHARTSIDE_API_KEY;
if (!apiKey) {
  console.error('notes-app: set CHARTSIDE_API_KEY (npm start prints the demo organization’s)');
  process.exit(2);
}
const app = await startNotesApp({
  port: Number(process.env.PORT ?? 4300),
  host: process.env.HOST ?? '127.0.0.1',
  gatewayUrl: process.env.CHARTSIDE_URL ?? 'http://localhost:3000',
  apiKey,
});
console.log(`Notes app on ${app.url}; set Chartside's App launch URL to ${app.launchUrl}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
