/** Test helper: open file descriptors, read from /proc (Linux). */
import { readdirSync, readlinkSync } from 'node:fs';

/** Descriptors this process holds on `path` (other tests' and tap's come and go meanwhile). */
export function fdsOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while listed
    }
  }).length;
}
