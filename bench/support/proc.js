// What a bench reads of a process from /proc: CPU time, resident memory, and
// the API's processes (the one started and its workers under WEB_CONCURRENCY).
import { readFileSync, readlinkSync } from 'node:fs';

const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU time (user + system) of a process so far, in ms; 0 once it is gone. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

/** Resident set size of a process, in MB; 0 once it is gone. */
export function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return 0;
  }
}

/** A process and its descendants. */
function tree(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* gone */
  }
  return [pid, ...children.flatMap(tree)];
}

/** Whether a process runs this Node (by executable: Node 24 names its main thread "MainThread"). */
function isNode(pid) {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === process.execPath;
  } catch {
    return false;
  }
}

/** A process and its Node descendants (the API's workers; not the embedded PostgreSQL it may start). */
export const nodeTree = (pid) => tree(pid).filter((p) => p === pid || isNode(p));
export const treeCpuMs = (pid) => nodeTree(pid).reduce((sum, p) => sum + cpuMs(p), 0);
export const treeRssMb = (pid) => nodeTree(pid).reduce((sum, p) => sum + rssMb(p), 0);
