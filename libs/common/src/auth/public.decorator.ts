import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'citypay:isPublic';

/** Opens a route to anonymous callers. Every other route is guarded (fail closed). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
