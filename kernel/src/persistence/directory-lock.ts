import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Claims `dir` for this process: two processes appending to one journal would interleave
 * their lines and their compactions. A lock left by a process that is gone is taken over
 * (a crash never blocks the next start); one held by this same process is too, since only a
 * restart within one process (tests) opens a directory twice. Resolves to the release.
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, "LOCK");
  const mine = String(process.pid);
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(mine);
      await handle.close();
      return async () => {
        if ((await readFile(path, "utf8").catch(() => "")) === mine) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(await readFile(path, "utf8").catch(() => ""));
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new Error(`${dir} is in use by process ${holder}; stop it first (or delete ${path} if no storefront process runs)`);
    }
    await rm(path, { force: true });
  }
}

/** Whether a process with this id is alive (one of another user counts: signalling it is refused, not missing). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
