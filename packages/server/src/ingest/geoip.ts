import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import maxmind from 'maxmind';
import { Lru } from '../lru.js';

/** IP → ISO 3166 alpha-2 country code. */
export interface CountryLookup {
  country(ip: string): string | null;
}

interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
}

const BUNDLED = 'geo-whois-asn-country.mmdb';

/**
 * Path of the bundled database, @ip-location-db/geo-whois-asn-country-mmdb (CC0; NRO data under
 * CC BY 4.0): `dist/geoip/` in the published package, where the build copies it
 * (scripts/copy-geoip.mjs); that development dependency itself when running from the sources.
 */
export function bundledGeoipDb(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = [join(here, 'geoip', BUNDLED), join(here, '..', '..', 'dist', 'geoip', BUNDLED)];
  const found = built.find((file) => existsSync(file));
  if (found) return found;
  try {
    return createRequire(import.meta.url).resolve(`@ip-location-db/geo-whois-asn-country-mmdb/${BUNDLED}`);
  } catch {
    throw new Error(
      `@apilens/server: the bundled GeoIP database is missing (looked for ${built[0]}); reinstall @apilens/server, or pass --geoip-db <file.mmdb> or --no-geoip`,
    );
  }
}

/**
 * Opens an `.mmdb` once. Both record shapes are understood: ip-location-db's
 * `{ country_code }` and MaxMind GeoIP2/GeoLite2's `{ country: { iso_code } }`.
 */
export async function openCountryLookup(file: string): Promise<CountryLookup> {
  let reader: Awaited<ReturnType<typeof maxmind.open>>;
  try {
    reader = await maxmind.open(file, { watchForUpdates: false });
  } catch (err) {
    throw new Error(
      `@apilens/server: cannot open the GeoIP database ${file}: ${(err as Error).message}; pass a MaxMind .mmdb file to --geoip-db`,
    );
  }
  // An IPv4-only database's tree is 32 bits deep: an IPv6 address would be read as its first 32
  // bits (2a00:1450:: as 42.0.20.80) and located in the wrong country, so none is looked up in one.
  const ipv4Only = reader.metadata.ipVersion === 4;
  // The same client addresses come back again and again: remember their country.
  const cache = new Lru<string, string | null>(10_000);
  const lookup = (address: string): string | null => {
    // An IPv4 client as Node reports it on a dual-stack socket (::ffff:203.0.113.9) is located
    // by its IPv4 address: not every database maps that range.
    const ip = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
    const version = isIP(ip);
    if (version === 0 || (version === 6 && ipv4Only)) return null;
    try {
      const rec = reader.get(ip) as CountryRecord | null;
      const code = rec?.country_code ?? rec?.country?.iso_code;
      return typeof code === 'string' && code !== '' ? code : null;
    } catch {
      return null;
    }
  };
  return {
    country(ip) {
      let code = cache.get(ip);
      if (code === undefined) {
        code = lookup(ip);
        cache.set(ip, code);
      }
      return code;
    },
  };
}
