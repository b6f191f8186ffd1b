// The reference: a bare Fastify server answering the same JSON as /health/live.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/health/live', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
process.send?.('ready');
