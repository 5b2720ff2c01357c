// A small but real Nest app exercising every path a response can take: handlers, guards,
// pipes, exception filters, 404s. Shared by the tests on both platforms.
import 'reflect-metadata';
import {
  type ArgumentsHost,
  BadRequestException,
  Body,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpCode,
  HttpException,
  type INestApplication,
  Inject,
  Module,
  Param,
  type PipeTransform,
  Post,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AnalyticsInterceptor, AnalyticsService, SkipAnalytics } from '../src/index.js';

export type Platform = 'express' | 'fastify';

class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

class NameRequired implements PipeTransform {
  transform(value: { name?: unknown }) {
    if (typeof value?.name !== 'string') throw new BadRequestException('name must be a string');
    return value;
  }
}

class ConflictError extends Error {}

@Catch(ConflictError)
class ConflictFilter implements ExceptionFilter {
  catch(_error: ConflictError, host: ArgumentsHost) {
    // `status().send()` exists on both Express's response and Fastify's reply.
    host.switchToHttp().getResponse().status(409).send({ conflict: true });
  }
}

@Controller('users')
export class UsersController {
  constructor(@Inject(AnalyticsService) private readonly analytics: AnalyticsService) {}

  @Get('stats')
  stats() {
    return this.analytics.stats();
  }

  @Get('admin')
  @UseGuards(DenyGuard)
  admin() {
    return 'never';
  }

  @Get('teapot')
  teapot() {
    throw new HttpException('short and stout', 418);
  }

  @Get('crash')
  crash() {
    throw new Error('unexpected');
  }

  @Get('conflict')
  @UseFilters(ConflictFilter)
  conflict() {
    throw new ConflictError('taken');
  }

  @Get('quiet')
  @SkipAnalytics()
  quiet() {
    return 'not recorded';
  }

  @Get('quiet-guarded')
  @SkipAnalytics()
  @UseGuards(DenyGuard)
  quietGuarded() {
    return 'never';
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return { id };
  }

  @Post()
  @HttpCode(201)
  create(@Body(NameRequired) body: { name: string }) {
    return body;
  }
}

@SkipAnalytics()
@Controller('health')
export class HealthController {
  @Get()
  health() {
    return 'ok';
  }

  @Get('deep')
  @UseGuards(DenyGuard)
  deep() {
    return 'never';
  }
}

/** Recorded with `global: false` only because of its interceptor. */
@Controller('tracked')
@UseInterceptors(AnalyticsInterceptor)
export class TrackedController {
  @Get(':id')
  get(@Param('id') id: string) {
    return { id };
  }
}

@Controller('plain')
export class PlainController {
  @Get()
  get() {
    return 'plain';
  }
}

/** A handler that takes a known time, for the recorded response time. */
@Controller('slow')
export class SlowController {
  @Get()
  async get() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return 'late';
  }
}

export const controllers = [
  UsersController,
  HealthController,
  TrackedController,
  PlainController,
  SlowController,
];

/** Creates and starts the app on 127.0.0.1 with a free port. */
export async function startApp(
  platform: Platform,
  analyticsModule: unknown,
  options: { prefix?: string } = {},
): Promise<{ app: INestApplication; base: string }> {
  @Module({ imports: [analyticsModule as never], controllers })
  class AppModule {}

  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter() as never, {
          logger: false,
          abortOnError: false,
        })
      : await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  if (options.prefix) app.setGlobalPrefix(options.prefix);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}` };
}
