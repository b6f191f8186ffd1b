// A second reference: plain Nest 12 on Fastify, one controller, nothing else
// (no logging, metrics, pipes, filters). The framework's own ceiling.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

class HealthController {
  live() {
    return { status: 'ok' };
  }
}
Controller('health')(HealthController);
Get('live')(HealthController.prototype, 'live', Object.getOwnPropertyDescriptor(HealthController.prototype, 'live'));
class PlainModule {}
Module({ controllers: [HealthController] })(PlainModule);

const app = await NestFactory.create(PlainModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.argv[2]), '127.0.0.1');
process.send?.('ready');
