/**
 * A TypeScript client's types generated from an OpenAPI 3.0 document, the way
 * openapi-typescript lays them out (`components['schemas'][name]`,
 * `operations[operationId]['responses'][status]`, `['requestBody']`), kept
 * here because that package is not a dependency of the project. The OpenAPI
 * test type-checks real answers of the running API against these types.
 */
import ts from 'typescript';

type Schema = Record<string, any>;

function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

export function schemaType(schema: Schema | undefined, indent = ''): string {
  if (!schema || Object.keys(schema).length === 0) return 'unknown';
  let out: string;
  if (schema.$ref) {
    out = `components['schemas'][${JSON.stringify(String(schema.$ref).split('/').pop())}]`;
  } else if (schema.allOf) {
    out = (schema.allOf as Schema[]).map((s) => `(${schemaType(s, indent)})`).join(' & ');
  } else if (schema.oneOf || schema.anyOf) {
    out = ((schema.oneOf ?? schema.anyOf) as Schema[]).map((s) => `(${schemaType(s, indent)})`).join(' | ');
  } else if (schema.enum) {
    out = (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  } else if (schema.type === 'array') {
    out = `(${schemaType(schema.items as Schema, indent)})[]`;
  } else if (schema.type === 'integer' || schema.type === 'number') {
    out = 'number';
  } else if (schema.type === 'string') {
    out = 'string';
  } else if (schema.type === 'boolean') {
    out = 'boolean';
  } else if (schema.type === 'object' || schema.properties || schema.additionalProperties) {
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const inner = indent + '  ';
    const lines = Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {}).map(
      ([name, s]) => `${inner}${key(name)}${required.has(name) ? '' : '?'}: ${schemaType(s, inner)};`,
    );
    if (schema.additionalProperties) {
      lines.push(`${inner}[key: string]: ${schema.additionalProperties === true ? 'unknown' : `${schemaType(schema.additionalProperties as Schema, inner)} | undefined`};`);
    }
    out = lines.length ? `{\n${lines.join('\n')}\n${indent}}` : 'Record<string, unknown>';
  } else {
    out = 'unknown';
  }
  return schema.nullable ? `(${out}) | null` : out;
}

/** `export interface components` and `export interface operations` of the document. */
export function clientTypes(doc: Schema): string {
  const schemas = Object.entries((doc.components?.schemas as Record<string, Schema> | undefined) ?? {})
    .map(([name, s]) => `    ${key(name)}: ${schemaType(s, '    ')};`)
    .join('\n');
  const ops: string[] = [];
  for (const item of Object.values(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const op of Object.values(item)) {
      if (!op || typeof op !== 'object' || !op.operationId) continue;
      const responses = Object.entries((op.responses as Record<string, Schema>) ?? {})
        .map(([status, r]) => {
          const content = r.content as Record<string, Schema> | undefined;
          const json = content?.['application/json']?.schema as Schema | undefined;
          return `      ${status}: ${json ? schemaType(json, '      ') : 'never'};`;
        })
        .join('\n');
      const body = (op.requestBody as Schema | undefined)?.content?.['application/json']?.schema as Schema | undefined;
      ops.push(`  ${key(op.operationId as string)}: {\n    requestBody: ${body ? schemaType(body, '    ') : 'never'};\n    responses: {\n${responses}\n    };\n  };`);
    }
  }
  return `export interface components {\n  schemas: {\n${schemas}\n  };\n}\nexport interface operations {\n${ops.join('\n')}\n}\n`;
}

/** Type-checks `source` (which uses `components` and `operations`) against the generated types; returns the compiler's complaints. */
export function typeCheck(apiTypes: string, source: string): string[] {
  const name = '/client/calls.ts';
  const text = `${apiTypes}\n${source}\n`;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === name ? ts.createSourceFile(f, text, lang) : getSourceFile(f, lang, ...rest));
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (f === name ? text : readFile(f));
  host.fileExists = ((exists) => (f: string) => f === name || exists(f))(host.fileExists.bind(host));
  const program = ts.createProgram([name], options, host);
  const offset = apiTypes.split('\n').length;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `calls line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1 - offset}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}
