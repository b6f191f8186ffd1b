/* global module */
/**
 * Jest only, two changes to pg-boss's delay() (src/tools.js):
 *
 * - it requires node:timers/promises on every call, and its post-stop worker
 *   check (Manager.offWork) calls it after a test file's environment is torn
 *   down, which Jest turns into a crash of the next suite in that worker.
 *   Requiring it once when the module loads is the same code without the late
 *   require.
 * - its timer holds the process: after a stop, that check looks every second
 *   whether the stopped workers' loops ended, so a Jest worker whose last file
 *   closed an app less than a second before the run's end was killed as "failed
 *   to exit gracefully". Unreferenced, the timer still fires while anything
 *   else keeps the process alive (a running app does) and no longer holds a
 *   finished one.
 */
module.exports = {
  process(source) {
    const lazy = "const { setTimeout } = require('node:timers/promises')";
    const timer = 'setTimeout(ms, null, { signal: ac.signal })';
    if (!source.includes(lazy) || !source.includes(timer)) throw new Error('pg-boss tools.js changed: review test/support/pg-boss-timers-transform.cjs');
    return {
      code: `const __timersPromises = require('node:timers/promises')\n${source
        .replace(lazy, 'const { setTimeout } = __timersPromises')
        .replace(timer, 'setTimeout(ms, null, { signal: ac.signal, ref: false })')}`,
    };
  },
};
