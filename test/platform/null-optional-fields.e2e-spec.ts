import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import { getMetadataStorage } from 'class-validator';
import { createValidationPipe, ValidationFailedError } from '@app/common';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { idemKey } from '../support/payments.js';

/**
 * One rule for optional fields across the API: left out is fine, null is
 * 400 VALIDATION_FAILED. Driven by what Nest serves: every route's body and
 * query DTO, every field that is validated only when present, is sent null
 * through the app's own validation pipe; a new route or field is covered
 * without touching this test.
 */

interface DtoUse {
  route: string;
  kind: 'body' | 'query';
  dto: new () => object;
}

/** Every (route, body/query DTO) pair of the running app. */
function routeDtos(app: TestApp): DtoUse[] {
  const uses: DtoUse[] = [];
  for (const module of app.api.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new () => object) | undefined;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const path = `/${base}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        const route = `${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]} ${path}`;
        const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, name) ?? []) as (new () => object)[];
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { index: number; data?: unknown }>;
        for (const [key, arg] of Object.entries(args)) {
          const type = Number(key.split(':')[0]);
          const kind = type === RouteParamtypes.BODY ? 'body' : type === RouteParamtypes.QUERY ? 'query' : undefined;
          // a whole-body or whole-query DTO (a single named field is a string, checked by its pipe)
          if (kind && arg.data === undefined && typeof types[arg.index] === 'function' && ![Object, String, Number, Boolean].includes(types[arg.index] as never)) {
            uses.push({ route, kind, dto: types[arg.index] });
          }
        }
      }
    }
  }
  return uses;
}

/** The properties a DTO validates only under a condition (optional fields), and whether class-validator's IsOptional is among them. */
function conditionalFields(dto: new () => object): { fields: string[]; isOptional: string[] } {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const conditional = metas.filter((m) => m.type === 'conditionalValidation');
  return {
    fields: [...new Set(conditional.map((m) => m.propertyName))],
    isOptional: conditional.filter((m) => m.name === 'isOptional').map((m) => m.propertyName),
  };
}

describe('null in optional fields', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('every optional field of every route refuses null with VALIDATION_FAILED naming the field', async () => {
    const pipe = createValidationPipe();
    const uses = routeDtos(app);
    const checked: string[] = [];
    const accepted: string[] = [];
    for (const use of uses) {
      const { fields, isOptional } = conditionalFields(use.dto);
      expect([use.route, use.dto.name, isOptional]).toEqual([use.route, use.dto.name, []]);
      for (const field of fields) {
        const label = `${use.route} ${use.kind}.${field}`;
        checked.push(label);
        try {
          await pipe.transform({ [field]: null }, { type: use.kind, metatype: use.dto, data: undefined });
          accepted.push(label);
        } catch (err) {
          expect(err).toBeInstanceOf(ValidationFailedError);
          const details = (err as ValidationFailedError).details as { field: string; problems: string[] }[];
          if (!details.some((d) => d.field === field)) accepted.push(label);
        }
      }
    }
    expect(accepted).toEqual([]);
    // the routes known today are found (the discovery cannot pass by finding nothing)
    expect(checked).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^POST .*payments body\.amount$/),
        expect.stringMatching(/^POST .*auth\/register body\.displayName$/),
        expect.stringMatching(/^GET .*audit-events query\.limit$/),
      ]),
    );
    expect(checked.length).toBeGreaterThanOrEqual(15);
  });

  it('over HTTP: a bill payment with amount null is 400 VALIDATION_FAILED, not a 500', async () => {
    const user = await verifiedUser(app);
    const res = await app.request('POST', '/v1/bills/00000000-0000-4000-8000-000000000000/payments', {
      token: user.accessToken,
      headers: { 'idempotency-key': idemKey() },
      body: { amount: null, method: 'WALLET' },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details).toEqual([{ field: 'amount', problems: expect.arrayContaining(['amount must not be null (leave the field out instead)']) }]);
  });

  it('over HTTP: an organisation profile field (validated by its context, not the pipe) refuses null too', async () => {
    const token = await adminToken(app);
    const res = await app.request('POST', '/v1/admin/organizations', {
      token,
      body: { name: 'Null Water', kind: 'BILLER', billerCategory: 'WATER', billerAllowsPartial: null },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'billerAllowsPartial' })]);
    const ok = await app.request('POST', '/v1/admin/organizations', { token, body: { name: 'Null Water', kind: 'BILLER', billerCategory: 'WATER' } });
    expect(ok.status).toBe(201);
  });

  it('over HTTP: register with displayName null is refused; left out, it is accepted', async () => {
    const phone = `+86139${String(Date.now()).slice(-8)}`;
    expectError(await app.request('POST', '/v1/auth/register', { body: { phone, password: 'a-long-password-1', displayName: null } }), 400, 'VALIDATION_FAILED');
    expect((await app.request('POST', '/v1/auth/register', { body: { phone, password: 'a-long-password-1' } })).status).toBe(201);
  });
});
