// Crash-safe files for the zero-setup mode's in-memory adapters: add exports here with intention.
export { Journal, JournalCorruptError, type JournalOptions } from "./journal.js";
export { isRunning as isProcessRunning } from "./directory-lock.js";
