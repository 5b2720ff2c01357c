// Hello-world NestJS app (Express platform) for `pnpm bench:overhead` (contract:
// bench/overhead/README.md). Plain JavaScript, so the decorators are applied by hand.
import 'reflect-metadata';
import { AnalyticsModule, AnalyticsService } from '@apilens/nestjs';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  abSwitch,
  apitallyConfig,
  apitallyShutdown,
  upstreamConfig,
} from '../../../bench/overhead/peers.mjs';

class HelloController {
  hello(name) {
    return { hello: name };
  }
}
const proto = HelloController.prototype;
Get(':name')(proto, 'hello', Object.getOwnPropertyDescriptor(proto, 'hello'));
Param('name')(proto, 'hello', 0);
Controller('hello')(HelloController);

/** What this app can be measured with: the upstream middleware is its Express one, on Nest's Express. */
export const variants = ['bare', 'noop', 'apilens', 'upstream', 'apitally'];

/** @param {{ variant?: string, instrumented?: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ variant, instrumented, apiKey, serverUrl }) {
  const kind = variant ?? (instrumented ? 'apilens' : 'bare');
  class AppModule {}
  Module({
    imports:
      kind === 'apilens' || kind === 'toggle'
        ? [AnalyticsModule.forRoot({ apiKey, config: { serverUrl } })]
        : [],
    controllers: [HelloController],
  })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  let stop = async () => {};
  // apilens records with an Express middleware on Nest's Express platform: the floor is one too.
  if (kind === 'noop') app.use((_req, _res, next) => next());
  if (kind === 'upstream') {
    const { upstream, config } = await upstreamConfig(serverUrl);
    app.use(upstream.expressAnalytics(apiKey, config));
  }
  let toggle;
  if (kind === 'toggle') {
    // apilens behind a switch (the A/B phase): the module's Express middleware (the first layer
    // of the stack) is wrapped so that, off, it only calls next().
    const layer = app
      .getHttpAdapter()
      .getInstance()
      .router.stack.find((l) => l.name === 'apilensExpress');
    const handle = layer.handle;
    const ab = abSwitch(app.get(AnalyticsService));
    layer.handle = (req, res, next) => (ab.on() ? handle(req, res, next) : next());
    toggle = ab.toggle;
  }
  if (kind === 'apitally') {
    const { useApitally } = await import('apitally/nestjs');
    await useApitally(app, apitallyConfig(serverUrl));
    stop = apitallyShutdown;
  }
  await app.listen(0, '127.0.0.1');
  return {
    port: app.getHttpServer().address().port,
    toggle,
    async close() {
      // onApplicationShutdown delivers the records still queued.
      await app.close();
      await stop();
    },
  };
}
