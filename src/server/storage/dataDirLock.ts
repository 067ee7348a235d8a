import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ChartsyncError } from '../../core/errors';

/** The lock file a server keeps in its PGlite data folder while it runs. */
export const LOCK_FILE = 'chartsync.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data folder for this process: PGlite is one process's database, and two servers on one folder
 * each answer 200 while one of them loses the other's writes at the next restart. Refuses with
 * DATA_DIR_LOCKED while a live process holds the folder (this one included); a lock left by a process that
 * died is taken over. Resolves to the release function.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new ChartsyncError(
          'DATA_DIR_LOCKED',
          `The data folder ${dir} is already used by process ${pid}${pid === process.pid ? ' (this one)' : ''}: stop that server first, or give this one another folder (--data).`,
          { context: { dir, pid } },
        );
      }
      await rm(file, { force: true });
    }
  }
}
