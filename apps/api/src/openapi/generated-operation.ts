/** What scripts/openapi-generate.mjs derives from one route handler. */
export interface GeneratedOperation {
  /** Source file of the controller (for the reader of the generated file). */
  file: string;
  /** The handler's doc comment. */
  description?: string;
  /** JSON schema (OpenAPI 3.0 dialect) of the 2xx body; absent: no body. */
  response?: Record<string, unknown>;
}
