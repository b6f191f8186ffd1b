import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import {
  API_ERRORS_KEY,
  type ApiError,
  DEVICE_KEY,
  ALSO_DEVICE_KEY,
  IDEMPOTENT_KEY,
  IS_PUBLIC_KEY,
  KYC_KEY,
  ORG_ROLES_KEY,
  ROLES_KEY,
} from '@app/common';
import { CONTRACT_ERRORS } from './contract-errors.js';
import { GENERATED_OPERATIONS } from './operations.generated.js';
import { SUMMARIES } from './summaries.js';

type Schema = Record<string, any>;
type Operation = Record<string, any>;
type Class = abstract new (...args: any[]) => unknown;

/** What the document needs to know about one route handler, read from Nest's metadata. */
interface HandlerFacts {
  isPublic: boolean;
  device: boolean;
  /** A user route devices may call too (@AlsoDevice). */
  alsoDevice: boolean;
  roles: boolean;
  kyc: boolean;
  idempotent: boolean;
  errors: ApiError[];
}

const ERROR_BODY = 'ErrorBody';
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

/**
 * The OpenAPI document served at /docs-json: Nest's scan of the controllers
 * and DTOs, completed with what a generated client needs: each handler's
 * response schema (from its TypeScript return type, see
 * scripts/openapi-generate.mjs), the api.md error body on every error status
 * with its codes, `Idempotency-Key` on [idem] routes, the security each route
 * takes (bearer token, device HMAC, none), integer money, enums and formats
 * from the DTOs' validators.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('City Pay API')
      .setDescription(
        'City-wide cashless services: bills, transit fares, campus card. Money is `{amount, currency}` with `amount` an ' +
          'integer of minor units (fen, cents); every error answers the `ErrorBody` schema; a route marked with an ' +
          '`Idempotency-Key` header parameter requires it (same key and body: the first answer again, with ' +
          '`Idempotent-Replayed: true`).',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token of POST /v1/auth/login' }, 'bearer')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Device-Id', description: 'The device id (devices: bus readers, POS terminals)' }, 'deviceId')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Device-Timestamp', description: 'Unix epoch milliseconds; within 5 minutes of the server clock' }, 'deviceTimestamp')
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'X-Device-Signature',
          description:
            'Lowercase hex HMAC-SHA256(deviceSecret, METHOD + "\\n" + PATH_WITH_QUERY + "\\n" + TIMESTAMP + "\\n" + hex(SHA256(rawBody))); each signature is accepted once',
        },
        'deviceSignature',
      )
      .build(),
  );
  const dtoClasses = new Set<Class>();
  const facts = handlerFacts(app, dtoClasses);
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[ERROR_BODY] = errorBodySchema();
  enrichDtoSchemas(document.components.schemas as Record<string, Schema>, dtoClasses);

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      completeOperation(method, path, op, facts.get(op.operationId as string));
    }
  }
  return document;
}

function handlerFacts(app: INestApplication, dtoClasses: Set<Class>): Map<string, HandlerFacts> {
  const out = new Map<string, HandlerFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!type?.prototype) continue;
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (Object.getOwnPropertyDescriptor(type.prototype, name)?.value ?? undefined) as object | undefined;
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        for (const param of (Reflect.getMetadata('design:paramtypes', type.prototype, name) as unknown[] | undefined) ?? []) {
          if (typeof param === 'function' && param !== Object && param !== String && param !== Number) dtoClasses.add(param as Class);
        }
        const meta = (key: string): unknown => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, type);
        out.set(`${type.name}_${name}`, {
          isPublic: meta(IS_PUBLIC_KEY) === true,
          device: meta(DEVICE_KEY) !== undefined,
          alsoDevice: meta(ALSO_DEVICE_KEY) !== undefined,
          roles: meta(ROLES_KEY) !== undefined || meta(ORG_ROLES_KEY) !== undefined,
          kyc: meta(KYC_KEY) === true,
          idempotent: Reflect.getMetadata(IDEMPOTENT_KEY, handler) !== undefined,
          errors: [...((Reflect.getMetadata(API_ERRORS_KEY, type) as ApiError[]) ?? []), ...((Reflect.getMetadata(API_ERRORS_KEY, handler) as ApiError[]) ?? [])],
        });
      }
    }
  }
  return out;
}

function completeOperation(method: string, path: string, op: Operation, facts: HandlerFacts | undefined): void {
  const generated = GENERATED_OPERATIONS[op.operationId as string];
  const description = generated?.description;
  if (description && !op.description) op.description = description;
  op.summary ||= SUMMARIES[`${method.toUpperCase()} ${path}`] ?? (description ? firstSentence(description) : fallbackSummary(method, path));

  // the success answer and its body
  op.responses ??= {};
  const success = Object.keys(op.responses).find((s) => /^2\d\d$/.test(s));
  if (success) {
    const response = op.responses[success] as Operation;
    response.description ||= 'Success';
    if (!response.content && generated?.response && success !== '204') {
      response.content = { 'application/json': { schema: generated.response } };
    }
  }

  const errors: ApiError[] = [[429, 'RATE_LIMITED']];
  const hasParams = (op.parameters as Operation[] | undefined)?.some((p) => p.in === 'path');
  const hasInput = Boolean(op.requestBody) || (op.parameters as Operation[] | undefined)?.some((p) => p.in === 'query');
  if (hasInput) errors.push([400, 'VALIDATION_FAILED']);
  if (op.requestBody) errors.push([400, 'MALFORMED_JSON'], [413, 'PAYLOAD_TOO_LARGE'], [415, 'UNSUPPORTED_MEDIA_TYPE']);
  if (hasParams) errors.push([404, 'NOT_FOUND']);

  if (facts?.device) {
    op.security = [{ deviceId: [], deviceTimestamp: [], deviceSignature: [] }];
    errors.push([401, 'DEVICE_AUTH_FAILED'], [403, 'FORBIDDEN']);
  } else if (facts?.isPublic) {
    op.security = [];
  } else if (facts?.alsoDevice) {
    op.security = [{ bearer: [] }, { deviceId: [], deviceTimestamp: [], deviceSignature: [] }];
    errors.push([401, 'UNAUTHENTICATED'], [401, 'DEVICE_AUTH_FAILED'], [403, 'FORBIDDEN']);
  } else {
    op.security = [{ bearer: [] }];
    errors.push([401, 'UNAUTHENTICATED']);
  }
  if (facts?.roles) errors.push([403, 'FORBIDDEN']);
  if (facts?.kyc) errors.push([403, 'KYC_REQUIRED']);
  if (facts?.idempotent) {
    errors.push([400, 'IDEMPOTENCY_KEY_REQUIRED'], [409, 'IDEMPOTENCY_IN_PROGRESS'], [422, 'IDEMPOTENCY_KEY_REUSED']);
    op.parameters = [
      ...((op.parameters as Operation[] | undefined) ?? []).filter((p) => !(p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key')),
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description: 'Caller-chosen key (1-255 printable characters), kept 24 h: a retry with the same key and body gets the first answer, never a second effect',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      },
    ];
    if (success) {
      const response = op.responses[success] as Operation;
      response.headers = {
        ...response.headers,
        'Idempotent-Replayed': { description: '`true` when this is the stored answer of an earlier request with the same key', schema: { type: 'string', enum: ['true'] } },
      };
    }
  }
  errors.push(...(CONTRACT_ERRORS[`${method.toUpperCase()} ${path}`] ?? []), ...(facts?.errors ?? []));

  const byStatus = new Map<number, Set<string>>();
  for (const [status, code] of errors) {
    if (!byStatus.has(status)) byStatus.set(status, new Set());
    byStatus.get(status)!.add(code);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const key = String(status);
    const existing = op.responses[key] as Operation | undefined;
    const list = [...codes];
    op.responses[key] = {
      description: existing?.description && existing.description !== '' ? existing.description : `${list.join(', ')}`,
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: `#/components/schemas/${ERROR_BODY}` },
              { type: 'object', properties: { statusCode: { type: 'integer', enum: [status] }, code: { type: 'string', enum: list } } },
            ],
          },
        },
      },
    };
  }
}

function firstSentence(text: string): string {
  const match = /^(.+?[.:;])(\s|$)/.exec(text);
  const sentence = (match ? match[1] : text).replace(/[.:;]$/, '');
  return sentence.length > 120 ? `${sentence.slice(0, 117)}...` : sentence;
}

function fallbackSummary(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'v1' && !s.startsWith('{'))
    .map((s) => s.replace(/-/g, ' '));
  const verb: Record<string, string> = { get: 'Read', post: 'Create', put: 'Set', patch: 'Update', delete: 'Remove' };
  return `${verb[method] ?? method.toUpperCase()} ${words.join(' ')}`.trim();
}

function errorBodySchema(): Schema {
  return {
    type: 'object',
    description: 'The one error body of every non-2xx answer',
    required: ['statusCode', 'code', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 422 },
      code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', example: 'OVERPAYMENT' },
      message: { type: 'string' },
      details: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'problems'],
          properties: { field: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  };
}

const MONEY_FIELD = /(^amount$|Amount$|^balance$|Balance$|^total$|Total$|Limit$|^limit$|^fare$)/;

/**
 * Completes the DTO schemas from their class-validator rules (the rules the
 * API enforces): integers (money: int64 minor units), enums, UUIDs, dates,
 * bounds and lengths.
 */
function enrichDtoSchemas(schemas: Record<string, Schema>, dtoClasses: Set<Class>): void {
  const storage = getMetadataStorage();
  const byName = new Map<string, Class>();
  const known = (storage as unknown as { validationMetadatas: Map<Class, unknown> }).validationMetadatas;
  for (const type of [...known.keys(), ...dtoClasses]) byName.set(type.name, type);
  for (const [name, schema] of Object.entries(schemas)) {
    const type = byName.get(name);
    const props = schema.properties as Record<string, Schema> | undefined;
    if (!type || !props) continue;
    // the class's rules and its ancestors' (TopUpDto's amount is PaymentAmountDto's)
    const rules = storage.getTargetValidationMetadatas(type, '', true, false) as unknown as { propertyName: string; name?: string; type: string; constraints?: unknown[] }[];
    for (const rule of rules) {
      const prop = props[rule.propertyName];
      if (!prop || prop.$ref || prop.allOf) continue;
      const target = prop.type === 'array' && rule.name !== 'isArray' && prop.items && !prop.items.$ref ? (prop.items as Schema) : prop;
      const c = rule.constraints ?? [];
      switch (rule.name) {
        case 'isInt':
          target.type = 'integer';
          if (MONEY_FIELD.test(rule.propertyName)) {
            target.format = 'int64';
            target.description ??= 'minor units (fen, cents)';
          }
          break;
        case 'isIn':
          if (Array.isArray(c[0]) && !target.enum) {
            target.enum = c[0];
            target.type ??= typeof c[0][0] === 'number' ? 'integer' : 'string';
          }
          break;
        case 'isEnum':
          if (c[0] && typeof c[0] === 'object' && !target.enum) target.enum = Object.values(c[0] as object);
          break;
        case 'isUuid':
          target.format ??= 'uuid';
          break;
        case 'isDateString':
        case 'isIso8601':
          target.format ??= 'date-time';
          break;
        case 'matches':
          if (c[0] instanceof RegExp) target.pattern ??= c[0].source;
          break;
        case 'isBoolean':
          target.type = 'boolean';
          break;
        case 'min':
          if (typeof c[0] === 'number') target.minimum ??= c[0];
          break;
        case 'max':
          if (typeof c[0] === 'number') target.maximum ??= c[0];
          break;
        case 'isPositive':
          target.minimum ??= target.type === 'integer' ? 1 : 0;
          break;
        case 'minLength':
          if (typeof c[0] === 'number') target.minLength ??= c[0];
          break;
        case 'maxLength':
          if (typeof c[0] === 'number') target.maxLength ??= c[0];
          break;
        case 'arrayMaxSize':
          if (typeof c[0] === 'number') prop.maxItems ??= c[0];
          break;
        case 'arrayMinSize':
          if (typeof c[0] === 'number') prop.minItems ??= c[0];
          break;
        case 'isEmail':
          target.format ??= 'email';
          break;
        case 'isUrl':
          target.format ??= 'uri';
          break;
        default:
          break;
      }
    }
  }
}
