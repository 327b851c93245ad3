/**
 * The repository's documents, readable from the landing page in development and tests: a person
 * who ran `npm start` can open the guide without leaving the browser. Only the files listed here,
 * only when they exist (the npm package ships the README alone), never in production.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChartsideError } from '../errors/catalogue.ts';

/** Served name → the file in the repository, and what a reader finds in it. */
export const DOCUMENTS: Readonly<Record<string, { file: URL; about: string }>> = {
  'README.md': {
    file: new URL('../../README.md', import.meta.url),
    about: 'what Chartside does, quick start, configuration, command line, going to production',
  },
  'guide.md': {
    file: new URL('../../docs/guide.md', import.meta.url),
    about: 'the Cerner provider-app guide walked through offline, a screenshot per step',
  },
  'cerner.md': {
    file: new URL('../../docs/cerner.md', import.meta.url),
    about: 'the Cerner behaviour Chartside relies on, with sources',
  },
  'architecture.md': {
    file: new URL('../../docs/architecture.md', import.meta.url),
    about: 'where things live and the rules that hold them together',
  },
};

/** The documents present in this installation, by served name. */
export function availableDocuments(): string[] {
  return Object.keys(DOCUMENTS).filter((name) =>
    existsSync(fileURLToPath((DOCUMENTS[name] as { file: URL }).file)),
  );
}

export async function sendDocument(
  request: FastifyRequest<{ Params: { name: string } }>,
  reply: FastifyReply,
) {
  const document = Object.hasOwn(DOCUMENTS, request.params.name) ? DOCUMENTS[request.params.name] : undefined;
  const path = document && fileURLToPath(document.file);
  if (!path || !existsSync(path)) throw new ChartsideError('route_not_found');
  // Markdown reads as text; plain text never runs anything in the browser.
  return reply
    .type('text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-cache')
    .send(readFileSync(path, 'utf8'));
}
