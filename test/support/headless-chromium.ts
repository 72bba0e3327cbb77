import { existsSync } from 'node:fs';
import { runsInCI } from '#kernel/testing';

/**
 * Debian's Chromium (`apt-get install -y chromium`, or `scripts/services.sh up chromium`),
 * driven by playwright-core in the browser tests. CHROMIUM_PATH overrides the path.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Belt and braces for the offline check: the browser cannot resolve any
  // host but loopback, so nothing can leave the machine even by mistake.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

export const chromiumMissing = !existsSync(CHROMIUM_PATH);
/** Read as the real-engine suites read it: `CI=1` fails a run without a browser as `CI=true` does. */
export const inCI = runsInCI();

/** Locally a missing browser skips the browser checks; under CI it is a failure (see chromiumRequiredInCI). */
export function browserSkipReason(testName: string): string | false {
  if (!chromiumMissing) return false;
  return inCI ? 'Chromium is missing (failed above)' : `Chromium not found at ${CHROMIUM_PATH}; install it with "apt-get install -y chromium" to run the ${testName}`;
}
