// A Nest 11 app in plain CommonJS (decorators applied by hand, as TypeScript would), run by
// ../nest11.test.ts on both platforms. It sends its own requests, prints one JSON line per
// platform, and exits. The test copies this file and the built @apilens/nestjs into
// .tmp/run-*/ so that every import (the package's included) resolves to this folder's Nest 11.
require('reflect-metadata');
const {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Module,
  Param,
  Post,
  UseGuards,
} = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { AnalyticsModule, AnalyticsService, SkipAnalytics } = require('@apilens/nestjs');

/** `@decorators` on a class, or on one of its methods when `method` is given. */
function decorate(decorators, target, method) {
  if (method === undefined) return Reflect.decorate(decorators, target);
  const proto = target.prototype;
  const descriptor = Reflect.decorate(
    decorators,
    proto,
    method,
    Object.getOwnPropertyDescriptor(proto, method),
  );
  Object.defineProperty(proto, method, descriptor);
}
/** A parameter decorator for parameter `index` (TypeScript's `__param`). */
const param = (index, decorator) => (target, key) => decorator(target, key, index);

class DenyGuard {
  canActivate() {
    return false;
  }
}

class NameRequired {
  transform(value) {
    if (typeof value?.name !== 'string') throw new BadRequestException('name must be a string');
    return value;
  }
}

class UsersController {
  constructor(analytics) {
    this.analytics = analytics;
  }
  stats() {
    return this.analytics.stats();
  }
  admin() {
    return 'never';
  }
  teapot() {
    throw new HttpException('short and stout', 418);
  }
  crash() {
    throw new Error('unexpected');
  }
  quiet() {
    return 'not recorded';
  }
  quietGuarded() {
    return 'never';
  }
  get(id) {
    return { id };
  }
  create(body) {
    return body;
  }
}
decorate([Get('stats')], UsersController, 'stats');
decorate([Get('admin'), UseGuards(DenyGuard)], UsersController, 'admin');
decorate([Get('teapot')], UsersController, 'teapot');
decorate([Get('crash')], UsersController, 'crash');
decorate([Get('quiet'), SkipAnalytics()], UsersController, 'quiet');
decorate([Get('quiet-guarded'), SkipAnalytics(), UseGuards(DenyGuard)], UsersController, 'quietGuarded');
decorate([Get(':id'), param(0, Param('id'))], UsersController, 'get');
decorate([Post(), HttpCode(201), param(0, Body(NameRequired))], UsersController, 'create');
decorate([Controller('users'), param(0, Inject(AnalyticsService))], UsersController);

class HealthController {
  health() {
    return 'ok';
  }
  deep() {
    return 'never';
  }
}
decorate([Get()], HealthController, 'health');
decorate([Get('deep'), UseGuards(DenyGuard)], HealthController, 'deep');
decorate([SkipAnalytics(), Controller('health')], HealthController);

/** A handler that takes a known time, for the recorded response time. */
class SlowController {
  async get() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return 'late';
  }
}
decorate([Get()], SlowController, 'get');
decorate([Controller('slow')], SlowController);

// [method, path, body]; the test knows the statuses and records to expect. Each response is
// printed as [method, path, status, body (stats only), milliseconds the client waited].
const requests = [
  ['GET', '/api/users/42?full=1'],
  ['GET', '/api/users/admin'],
  ['GET', '/api/users/teapot'],
  ['GET', '/api/users/crash'],
  ['POST', '/api/users', '{}'],
  ['POST', '/api/users', '{"name":"ada"}'],
  ['GET', '/api/users/quiet'],
  ['GET', '/api/users/quiet-guarded'],
  ['GET', '/api/health'],
  ['GET', '/api/health/deep'],
  ['GET', '/api/nowhere/7'],
  ['GET', '/api/slow'],
  ['GET', '/api/users/stats'],
];

async function run(platform) {
  class AppModule {}
  const analytics = AnalyticsModule.forRoot({
    apiKey: `nest11-${platform}`,
    // A long interval: only app.close() can deliver these records.
    config: { serverUrl: process.env.APILENS_COLLECTOR_URL, flushIntervalMs: 60_000 },
  });
  decorate(
    [Module({ imports: [analytics], controllers: [UsersController, HealthController, SlowController] })],
    AppModule,
  );
  const options = { logger: false, abortOnError: false };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
      : await NestFactory.create(AppModule, options);
  app.setGlobalPrefix('api');
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const responses = [];
  for (const [method, path, body] of requests) {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const t0 = performance.now();
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    const elapsed = performance.now() - t0;
    responses.push([
      method,
      path,
      res.status,
      path === '/api/users/stats' ? JSON.parse(text) : null,
      elapsed,
    ]);
  }
  const beforeClose = app.get(AnalyticsService).stats();
  await app.close();
  return { platform, responses, beforeClose };
}

/** The versions of each Nest package actually loaded (one each, if nothing leaked in). */
function loadedVersions() {
  const roots = {};
  for (const file of Object.keys(require.cache)) {
    const match = /^(.*[\\/]node_modules[\\/]@nestjs[\\/]([a-z-]+))[\\/]/.exec(file);
    if (!match) continue;
    roots[match[2]] ??= new Set();
    roots[match[2]].add(require(`${match[1]}/package.json`).version);
  }
  return Object.fromEntries(Object.entries(roots).map(([name, versions]) => [name, [...versions]]));
}

async function main() {
  for (const platform of ['express', 'fastify']) {
    console.log(JSON.stringify(await run(platform)));
  }
  console.log(JSON.stringify({ loaded: loadedVersions() }));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
