#!/usr/bin/env node
// `npm start`: builds when a source changed (scripts/build-if-stale.mjs), then
// runs the server in this same process (one Node start fewer than a prestart
// script: a second start with nothing changed is mostly start-up time).
import { buildIfStale } from './build-if-stale.mjs';

const status = buildIfStale();
if (status !== 0) process.exit(status);
await import('../dist/server/main.js');
