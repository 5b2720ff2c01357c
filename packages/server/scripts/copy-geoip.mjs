// After tsup: ships the IP → country database in this package, as dist/geoip (read by
// src/ingest/geoip.ts), with the licence of the data it was made from. Copied from the
// @ip-location-db/geo-whois-asn-country-mmdb development dependency, so that installing the
// collector downloads one 8 MB file instead of that package's three (16 MB).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = dirname(
  createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json'),
);
const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
const target = join(here, '..', 'dist', 'geoip');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
copyFileSync(join(source, 'geo-whois-asn-country.mmdb'), join(target, 'geo-whois-asn-country.mmdb'));
copyFileSync(join(source, 'NRO_LICENSE'), join(target, 'NRO_LICENSE'));
writeFileSync(
  join(target, 'README.md'),
  `# IP → country database

\`geo-whois-asn-country.mmdb\` is @ip-location-db/geo-whois-asn-country-mmdb ${version}
(https://github.com/sapics/ip-location-db), CC0-1.0, made from the WHOIS and ASN data of the five
regional Internet registries published by the Number Resource Organization (https://www.nro.net/)
under CC BY 4.0 (see NRO_LICENSE). apilens reads it to infer the country of a client address;
\`apilens serve --geoip-db <file.mmdb>\` uses another database instead.
`,
);
