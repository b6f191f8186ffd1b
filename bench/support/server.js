// How a bench starts the built API: the same file and Node options as `npm start`.
import { readFileSync } from 'node:fs';

export const SERVER_ENTRY = 'dist/server/main.js';

/**
 * The Node options of package.json's start script (for instance the young
 * generation's size cap), so that a bench measures the process `npm start`
 * runs, memory included.
 */
export function serverNodeFlags() {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return scripts.start.split(/\s+/).filter((token) => token.startsWith('--'));
}
