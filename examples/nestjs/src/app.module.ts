import { AnalyticsModule, SkipAnalytics } from '@apilens/nestjs';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Module,
  NotFoundException,
  Param,
  UseGuards,
} from '@nestjs/common';

/** Lets a request through only with `x-admin: yes`; a rejected one is still recorded, as a 403. */
class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-admin'] === 'yes';
  }
}

@SkipAnalytics()
@Controller('health')
class HealthController {
  @Get()
  health() {
    return 'ok';
  }
}

@Controller('users')
class UsersController {
  @Get(':id')
  get(@Param('id') id: string) {
    if (id === '0') throw new NotFoundException('no user 0'); // recorded as a 404 on /api/users/:id
    return { id, name: `User ${id}` };
  }

  @Get(':id/secrets')
  @UseGuards(AdminGuard)
  secrets(@Param('id') id: string) {
    return { id, secret: 42 };
  }
}

@Controller('error')
class ErrorController {
  // Recorded with status 500 and route /api/error.
  @Get()
  fail() {
    throw new Error('something broke');
  }
}

@Module({
  imports: [
    AnalyticsModule.forRoot({
      apiKey: process.env.APILENS_API_KEY,
      config: {
        serverUrl: process.env.APILENS_SERVER_URL ?? 'http://localhost:8787',
        getUserID: (req: { headers: Record<string, string | undefined> }) => req.headers['x-user-id'] ?? null,
      },
    }),
  ],
  controllers: [HealthController, UsersController, ErrorController],
})
export class AppModule {}
