/**
 * Business refusals a route can answer with, for its OpenAPI operation (the
 * document lists each status with its codes and the api.md error body).
 * The generic ones (validation, authentication, roles, KYC, idempotency,
 * rate limit, unknown ids) are derived from the route's metadata; list here
 * what only the route knows: `@ApiErrors([422, 'OVERPAYMENT'], [402, 'INSUFFICIENT_FUNDS'])`.
 */
export const API_ERRORS_KEY = 'citypay:apiErrors';

export type ApiError = readonly [status: number, code: string];

export const ApiErrors =
  (...errors: ApiError[]): MethodDecorator & ClassDecorator =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const holder = descriptor ? (descriptor.value as object) : target;
    const previous = (Reflect.getMetadata(API_ERRORS_KEY, holder) as ApiError[] | undefined) ?? [];
    Reflect.defineMetadata(API_ERRORS_KEY, [...previous, ...errors], holder);
  };
