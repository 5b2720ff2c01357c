// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint); at runtime they only
// instantiate what they type. A wrong public type is a compile error here.
import type { AnalyticsControls, AnalyticsStats } from '@apilens/core';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import fastifyAnalytics, {
  type ApilensHandle,
  Config,
  type FastifyAnalyticsOptions,
  type FastifyConfigInput,
  type FastifyOptions,
} from '../src/index.js';

describe('@apilens/fastify public types', () => {
  it('merges app.apilens into FastifyInstance as the core controls', () => {
    expectTypeOf<FastifyInstance['apilens']>().toEqualTypeOf<ApilensHandle>();
    expectTypeOf<ApilensHandle>().toEqualTypeOf<AnalyticsControls<FastifyRequest>>();
    expectTypeOf<ApilensHandle['flush']>().parameters.toEqualTypeOf<[timeoutMs?: number]>();
    expectTypeOf<ApilensHandle['flush']>().returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf<ApilensHandle['shutdown']>().returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf<ApilensHandle['stats']>().returns.toEqualTypeOf<AnalyticsStats>();
    expectTypeOf<ApilensHandle>().not.toHaveProperty('record');
  });

  it('merges the route switch into FastifyContextConfig', async () => {
    const app = Fastify();
    app.get('/health', { config: { analytics: false } }, async () => 'ok');
    // @ts-expect-error `analytics` is a boolean
    app.get('/metrics', { config: { analytics: 'no' } }, async () => 'm');
    await app.close();
  });

  it('types the plugin options and the mappers with FastifyRequest', () => {
    expectTypeOf<FastifyAnalyticsOptions['config']>().toEqualTypeOf<FastifyConfigInput | undefined>();
    expectTypeOf<NonNullable<FastifyOptions['getPath']>>().parameter(0).toEqualTypeOf<FastifyRequest>();
    const config = new Config();
    expectTypeOf(config.getUserID).toEqualTypeOf<
      ((req: FastifyRequest) => string | number | null | undefined) | undefined
    >();
    expectTypeOf(new Config<FastifyRequest>()).toEqualTypeOf<Config>();
    const options: FastifyAnalyticsOptions = {
      apiKey: 'k',
      config: {
        getUserID: (request) => {
          expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
          return request.headers['x-user-id'] as string;
        },
      },
    };
    const register = (app: ReturnType<typeof Fastify>) => app.register(fastifyAnalytics, options);
    expectTypeOf(register).toBeFunction();
  });
});
