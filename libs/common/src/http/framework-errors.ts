import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES as HTTP_REASONS } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from './error-body.js';

function body(statusCode: number, message: string, code = STATUS_CODES[statusCode] ?? `HTTP_${statusCode}`): string {
  return JSON.stringify({ statusCode, code, message });
}

/**
 * Errors Fastify raises before routing (a URL that does not decode, a bad
 * route parameter): answered with the api.md error body, not Fastify's own.
 */
export function frameworkErrorHandler(error: Error & { code?: string }, _req: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_BAD_URL' ? 'The request URL is not valid' : 'The request is not valid';
  void reply.code(400).type('application/json; charset=utf-8').send(body(400, message, 'BAD_REQUEST'));
}

/**
 * Requests Node cannot parse (bad or oversized headers, conflicting length
 * headers, timeouts): answered on the raw socket, with the api.md body.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const text = body(status, status === 431 ? 'The request headers or URL are too large' : status === 408 ? 'The request took too long to arrive' : 'The request is not valid HTTP');
  socket.end(
    `HTTP/1.1 ${status} ${HTTP_REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/**
 * Shutdown: new requests get 503 with the api.md body, and every response
 * says `Connection: close` so keep-alive clients let go; `Expect` headers
 * other than 100-continue get 417 with the api.md body.
 */
export function installLifecycleResponses(fastify: FastifyInstance, isClosing: () => boolean): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!isClosing()) {
      done();
      return;
    }
    void reply.code(503).header('connection', 'close').type('application/json; charset=utf-8').send(body(503, 'The server is shutting down; retry'));
  });
  fastify.addHook('onSend', (_request, reply, _payload, done) => {
    if (isClosing()) void reply.header('connection', 'close');
    done();
  });
  fastify.server.on('checkExpectation', (_req, res) => {
    const text = body(417, 'Only "Expect: 100-continue" is supported', 'EXPECTATION_FAILED');
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(text);
  });
}
