#!/usr/bin/env node
// The `chartside` command. Runs the TypeScript sources through tsx (a runtime dependency), so a
// fresh `npm ci` is all it needs.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
