import { UAParser } from 'ua-parser-js';
import { Lru } from '../lru.js';
import type { UserAgentInfo } from '../types.js';

const BOT = /bot|crawl|spider|slurp|fetcher|monitor/i;
const BOT_NAME = /([\w.-]*(?:bot|crawler|spider)[\w.-]*)/i;
const PRODUCT = /^([A-Za-z][\w.-]*)\//;

/** Parses a user agent into browser, OS and device type (ua-parser-js 1.x, MIT). */
export function parseUserAgent(ua: string): UserAgentInfo {
  const r = new UAParser(ua).getResult();
  let browser = r.browser.name ?? null;
  const os = r.os.name ?? null;
  let device: string;
  if (r.device.type) device = r.device.type;
  else if (BOT.test(ua)) {
    device = 'bot';
    browser ??= BOT_NAME.exec(ua)?.[1] ?? null;
  } else if (browser || os) device = 'desktop';
  else device = 'other';
  // HTTP libraries and tools (curl/8.5, python-requests/2.31): name them by their product token.
  if (!browser) {
    const product = PRODUCT.exec(ua)?.[1];
    if (product && product !== 'Mozilla') browser = product;
  }
  return { browser, os, device };
}

/** {@link parseUserAgent} behind an LRU: each distinct string is parsed once while it stays in use. */
export class UserAgentCache {
  private readonly lru: Lru<string, UserAgentInfo>;
  constructor(size: number) {
    this.lru = new Lru(size);
  }

  get(ua: string): UserAgentInfo {
    let info = this.lru.get(ua);
    if (info === undefined) {
      info = parseUserAgent(ua);
      this.lru.set(ua, info);
    }
    return info;
  }
}
