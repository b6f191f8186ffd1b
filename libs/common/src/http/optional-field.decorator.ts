import { ValidateBy, ValidateIf } from 'class-validator';

/**
 * The API's one rule for optional fields: a field may be left out, but
 * `null` is not a value (400 VALIDATION_FAILED, "must not be null"). Use it
 * instead of class-validator's `@IsOptional()`, which lets `null` through
 * to code that expects a value (a lint rule refuses `IsOptional`).
 */
export function OptionalField(): PropertyDecorator {
  return (target: object, property: string | symbol) => {
    // only a field left out skips the other validators: null is judged by them, and by the rule below
    ValidateIf((_object: object, value: unknown) => value !== undefined)(target, property as string);
    ValidateBy({
      name: 'notNull',
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: (args) => `${args?.property ?? String(property)} must not be null (leave the field out instead)`,
      },
    })(target, property as string);
  };
}
