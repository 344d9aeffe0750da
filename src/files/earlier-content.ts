// Whether a failed mount left the pod with files from an earlier mount. The
// writer removes whatever a failed mount created (atomic-writer.ts) and the
// driver unmounts a first mount that failed, so a target directory that still
// holds an entry after a failure holds an earlier mount's content: the pod
// keeps running on it, and kubelet does not show errors of such a remount
// (docs/operating.md, AscpRemountsFailing). Asked only after a failure, for the
// remount-failure metric; never on the success path.
import { opendir } from 'node:fs/promises';

/** True when dir exists and has at least one entry; false on any error (absent, not a directory). */
export async function holdsEarlierContent(dir: string): Promise<boolean> {
  try {
    const handle = await opendir(dir);
    try {
      return (await handle.read()) !== null;
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}
