/* global module */
/**
 * Jest only: pg-boss's delay() requires node:timers/promises on every call,
 * and its post-stop worker check (Manager.offWork) calls it after a test
 * file's environment is torn down, which Jest turns into a crash of the next
 * suite in that worker. Requiring it once when the module loads is the same
 * code without the late require.
 */
module.exports = {
  process(source) {
    const lazy = "const { setTimeout } = require('node:timers/promises')";
    if (!source.includes(lazy)) throw new Error('pg-boss tools.js changed: review test/support/pg-boss-timers-transform.cjs');
    return { code: `const __timersPromises = require('node:timers/promises')\n${source.replace(lazy, 'const { setTimeout } = __timersPromises')}` };
  },
};
