// The CPU time a server has used, read from /proc: the benchmarks report it per request beside the
// rates, because on a loaded machine the rates mostly measure the scheduler and the CPU cost far
// less so.
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) the process `pid` and its children (nginx's workers) have used. */
export function cpuSeconds(pid) {
  const ticks = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // After the command name, which may itself hold spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      // utime and stime, the 14th and 15th fields of stat(5), counted after the ") ".
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0; // gone
    }
  };
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    // no children file: the process alone
  }
  // USER_HZ is 100 on Linux.
  return [pid, ...children].reduce((sum, p) => sum + ticks(p), 0) / 100;
}
