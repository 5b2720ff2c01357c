// Debian's Chromium as the dashboard tests, the page benchmark and the README screenshots run it:
// headless, without the sandbox (CI runs as root), and quiet and offline (no background
// networking, component updates or sync), so a run depends on nothing outside the machine.

/** Where `apt-get install chromium` puts it (scripts/system-deps.sh). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for every launch. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
