// Type-checked by pack-smoke.test.ts, apart from types.ts: Nest 12 is ESM-only, so CommonJS code
// can use it only through require(esm) (Node 20.19 and later), which TypeScript models with
// module node20, not node16. Copied as nest.mts (node16), nest.cts (node20) and nest.ts (bundler).
import { AnalyticsModule, SkipAnalytics } from '@apilens/nestjs';

const module = AnalyticsModule.forRoot({ apiKey: 'key', config: { privacyLevel: 2 } });
// @ts-expect-error the API key is a string
AnalyticsModule.forRoot({ apiKey: 42 });

export const used = [module, SkipAnalytics];
