/**
 * The launch a fuzz suite keeps through its whole run: made by a real EHR launch before the
 * run, read back after it, and compared, so no input may have lost or corrupted stored state.
 */
import assert from 'node:assert/strict';
import { driveLaunch, launchIdFrom } from '../support/launch-driver.ts';
import type { Stack } from '../support/stack.ts';

export interface SeededLaunch {
  readonly id: string;
  readonly context: Record<string, unknown>;
}

async function read(stack: Stack, id: string): Promise<Record<string, unknown>> {
  const response = await stack.gateway.inject({
    method: 'GET',
    url: `/launch-contexts/${id}`,
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

export async function seedLaunch(stack: Stack): Promise<SeededLaunch> {
  const id = launchIdFrom((await driveLaunch(stack)).callbackResponse);
  const context = await read(stack, id);
  assert.equal(context.status, 'ready');
  return { id, context };
}

export async function assertLaunchUnchanged(stack: Stack, seeded: SeededLaunch): Promise<void> {
  assert.deepEqual(await read(stack, seeded.id), seeded.context, 'the seeded launch changed');
}
