import type { SubjectDirectory } from "./subject-directory.js";

export interface SubjectCacheOptions {
  /** How long an existing account is taken as existing without asking again. */
  knownForMs?: number;
  /** How long an unknown subject stays refused without asking again (a flood of one bad token costs one lookup). */
  unknownForMs?: number;
  /** Entries kept; the oldest answer goes first. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Remembers the directory's answers so the check costs a map lookup on nearly every request,
 * and asks once for concurrent requests of the same subject. When the directory cannot answer,
 * a subject it confirmed before (even past `knownForMs`) is still accepted: an accounts outage
 * must not sign out everyone who was already signed in. A subject never confirmed is not.
 */
export function cachedSubjectDirectory(directory: SubjectDirectory, options: SubjectCacheOptions = {}): SubjectDirectory {
  const knownForMs = options.knownForMs ?? 10 * 60_000;
  const unknownForMs = options.unknownForMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const answers = new Map<string, { exists: boolean; until: number }>();
  const asking = new Map<string, Promise<boolean>>();

  function remember(userId: string, exists: boolean): void {
    answers.delete(userId);
    answers.set(userId, { exists, until: now() + (exists ? knownForMs : unknownForMs) });
    if (answers.size > maxEntries) answers.delete(answers.keys().next().value!);
  }

  async function ask(userId: string, previous: { exists: boolean } | undefined): Promise<boolean> {
    try {
      const exists = await directory.hasAccount(userId);
      remember(userId, exists);
      return exists;
    } catch (error) {
      if (previous?.exists) return true;
      throw error;
    } finally {
      asking.delete(userId);
    }
  }

  return {
    hasAccount(userId) {
      const answer = answers.get(userId);
      if (answer && answer.until > now()) return Promise.resolve(answer.exists);
      let pending = asking.get(userId);
      if (!pending) {
        pending = ask(userId, answer);
        asking.set(userId, pending);
      }
      return pending;
    },
  };
}
