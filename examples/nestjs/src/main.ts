// A small NestJS API instrumented with apilens: AnalyticsModule.forRoot() in app.module.ts.
// Run `pnpm build` at the repository root once, then `pnpm start` here.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const port = Number(process.env.PORT ?? 3000);
const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
app.setGlobalPrefix('api');
// On SIGTERM/SIGINT Nest closes the app; AnalyticsModule then delivers what is queued.
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
const { port: actual } = app.getHttpServer().address();
console.log(
  `NestJS example on http://localhost:${actual} — reporting to ${process.env.APILENS_SERVER_URL ?? 'http://localhost:8787'}`,
);
console.log('try: /api/users/42, /api/users/0, /api/users/42/secrets, /api/error, /api/nope');
