// Process measurements from /proc, for any provider process (ours or the Go one).
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * CPU time (user + system) of a process, all its threads, dead ones included, in ms, from
 * /proc/<pid>/stat utime+stime. Resolution is one clock tick (10 ms at CLK_TCK=100).
 */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", fields[0] is state (field 3); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

/**
 * CPU time in ms summed over the process's live threads from /proc/<pid>/task/<tid>/schedstat
 * (nanosecond resolution; threads that already exited are not counted). Undefined if unreadable.
 */
export function procCpuMsPrecise(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* thread exited meanwhile */
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: string): number | undefined {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Resident set size now, in KiB (VmRSS). */
export function procRssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set size so far, in KiB (VmHWM). */
export function procPeakRssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** Number of threads of the process. */
export function procThreads(pid: number): number | undefined {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^Threads:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}
