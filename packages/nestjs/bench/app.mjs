// Hello-world NestJS app (Express platform) for `pnpm bench:overhead` (contract:
// bench/overhead/README.md). Plain JavaScript, so the decorators are applied by hand.
import 'reflect-metadata';
import { AnalyticsModule } from '@apilens/nestjs';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class HelloController {
  hello(name) {
    return { hello: name };
  }
}
const proto = HelloController.prototype;
Get(':name')(proto, 'hello', Object.getOwnPropertyDescriptor(proto, 'hello'));
Param('name')(proto, 'hello', 0);
Controller('hello')(HelloController);

/** @param {{ instrumented: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ instrumented, apiKey, serverUrl }) {
  class AppModule {}
  Module({
    imports: instrumented ? [AnalyticsModule.forRoot({ apiKey, config: { serverUrl } })] : [],
    controllers: [HelloController],
  })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    port: app.getHttpServer().address().port,
    // onApplicationShutdown delivers the records still queued.
    close: () => app.close(),
  };
}
