#!/usr/bin/env node
// Writes apps/api/src/openapi/operations.generated.ts: for every route handler
// of every @Controller (keyed by the OpenAPI operationId Nest gives it,
// `<Controller>_<method>`), the JSON schema of what it answers, derived from
// the handler's TypeScript return type by the compiler itself, and the first
// sentence of its doc comment as summary. Handlers return interfaces (no
// classes to decorate), so this is how their responses reach /docs-json.
//
//   npm run openapi:generate           rewrite the file
//   npm run openapi:generate -- --check exit 1 if the file is not current
//
// test/platform/openapi.e2e-spec.ts runs the check: a changed return type
// without a regenerated file fails the suite.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(root, 'apps', 'api', 'src', 'openapi', 'operations.generated.ts');
const HTTP_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'Head', 'Options']);
/** Integer money in minor units (api.md, Money), as the API sends it: a JSON integer. */
const MONEY = /^(amount|maxAmount|minAmount|baseAmount|perStopAmount|providerAmount|balance|balanceAfter|subsidyBalance|total|totalAmount|paidAmount|outstanding|fare|base|concession|transfer|cap|discount|dailyLimit|passwordFreeLimit|offlineLimit|credited|debited|spent|refunded|refundedAmount|expected|actual|difference|net|gross|fee|cash|subsidy|limit)$/;
const INTEGER = /(StatusCode|Count|Index)$|^(count|created|updated|statusCode|kycLevel|index|version|attempts|attempt|stopIndex|stops|line|windowMinutes|percentOff|minAge|maxCodes|delayMs|unreadCount|seq|sequence|maxCount|size|port)$/;

function decoratorName(d) {
  const e = d.expression;
  if (ts.isCallExpression(e)) return ts.isIdentifier(e.expression) ? e.expression.text : undefined;
  return ts.isIdentifier(e) ? e.text : undefined;
}

function decorators(node) {
  return ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : [];
}

export function generate() {
  const configPath = join(root, 'tsconfig.build.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true, incremental: false });
  const checker = program.getTypeChecker();
  const operations = {};

  /** ISO 8601 times (api.md: `...At` fields) and Asia/Shanghai business days. */
  function stringSchema(name) {
    if (name && /[a-z]At$/.test(name)) return { type: 'string', format: 'date-time' };
    if (name === 'date' || name === 'dueDate') return { type: 'string', format: 'date' };
    return { type: 'string' };
  }

  function numberSchema(name) {
    if (name && MONEY.test(name)) return { type: 'integer', format: 'int64', description: 'minor units (fen, cents)' };
    if (name && INTEGER.test(name)) return { type: 'integer' };
    return { type: 'number' };
  }

  function schemaOf(type, name, stack) {
    if (stack.length > 12) return {};
    const f = type.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (f & ts.TypeFlags.Never) return {};
    if (f & ts.TypeFlags.String || f & ts.TypeFlags.TemplateLiteral) return stringSchema(name);
    if (f & ts.TypeFlags.StringLiteral) return { type: 'string', enum: [type.value] };
    if (f & ts.TypeFlags.Number) return numberSchema(name);
    if (f & ts.TypeFlags.NumberLiteral) return { ...numberSchema(name), enum: [type.value] };
    if (f & ts.TypeFlags.BigInt || f & ts.TypeFlags.BigIntLiteral) return { type: 'integer', format: 'int64' };
    if (f & ts.TypeFlags.Boolean || f & ts.TypeFlags.BooleanLiteral) return { type: 'boolean' };
    if (f & ts.TypeFlags.Null) return { nullable: true };
    if (f & ts.TypeFlags.EnumLiteral && type.isUnion()) return schemaOf(type, name, stack);
    if (type.isUnion()) {
      const parts = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
      const nullable = parts.some((t) => t.flags & ts.TypeFlags.Null);
      const rest = parts.filter((t) => !(t.flags & ts.TypeFlags.Null));
      let schema;
      if (rest.length && rest.every((t) => t.flags & ts.TypeFlags.StringLiteral)) {
        schema = { type: 'string', enum: rest.map((t) => t.value) };
      } else if (rest.length && rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) {
        schema = { type: 'boolean' };
      } else if (rest.length && rest.every((t) => t.flags & ts.TypeFlags.NumberLiteral)) {
        schema = { ...numberSchema(name), enum: rest.map((t) => t.value) };
      } else if (rest.length === 1) {
        schema = schemaOf(rest[0], name, stack);
      } else if (rest.length === 0) {
        schema = {};
      } else {
        const variants = rest.map((t) => schemaOf(t, name, stack));
        schema = { oneOf: dedupe(variants) };
        if (schema.oneOf.length === 1) schema = schema.oneOf[0];
      }
      return nullable ? { ...schema, nullable: true } : schema;
    }
    if (type.isIntersection()) return objectSchema(type, stack);
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const args = checker.getTypeArguments(type);
      if (checker.isTupleType(type)) return { type: 'array', items: args.length ? schemaOf(args[0], name, stack) : {} };
      return { type: 'array', items: schemaOf(args[0], singular(name), stack) };
    }
    const symbolName = type.getSymbol()?.getName();
    if (symbolName === 'Date') return { type: 'string', format: 'date-time' };
    if (symbolName === 'Buffer' || symbolName === 'Uint8Array') return { type: 'string', format: 'binary' };
    if (f & ts.TypeFlags.Object) return objectSchema(type, stack);
    return {};
  }

  function singular(name) {
    return name === 'items' ? undefined : name;
  }

  function dedupe(list) {
    const seen = new Set();
    return list.filter((s) => {
      const k = JSON.stringify(s);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  function objectSchema(type, stack) {
    if (stack.includes(type)) return { type: 'object' };
    const next = [...stack, type];
    // a class with toJSON (Money) is sent as what toJSON returns
    const toJSON = type.getProperty('toJSON');
    if (toJSON) {
      const sig = checker.getSignaturesOfType(checker.getTypeOfSymbol(toJSON), ts.SignatureKind.Call)[0];
      if (sig) return schemaOf(checker.getReturnTypeOfSignature(sig), undefined, next);
    }
    const properties = {};
    const required = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const propType = checker.getTypeOfSymbol(prop);
      if (checker.getSignaturesOfType(propType, ts.SignatureKind.Call).length && !(propType.flags & ts.TypeFlags.Union)) continue;
      const key = prop.getName();
      const schema = schemaOf(propType, key, next);
      const doc = ts.displayPartsToString(prop.getDocumentationComment(checker)).trim();
      properties[key] = doc && !schema.description ? { ...schema, description: doc } : schema;
      const optional = prop.flags & ts.SymbolFlags.Optional || (propType.isUnion() && propType.types.some((t) => t.flags & ts.TypeFlags.Undefined));
      if (!optional) required.push(key);
    }
    const schema = { type: 'object', properties };
    if (required.length) schema.required = required;
    const index = checker.getIndexInfosOfType(type)[0];
    if (index) schema.additionalProperties = schemaOf(index.type, undefined, next);
    return schema;
  }

  for (const file of program.getSourceFiles()) {
    const rel = relative(root, file.fileName);
    if (rel.startsWith('..') || rel.includes('node_modules') || !(rel.startsWith('apps/') || rel.startsWith('libs/'))) continue;
    ts.forEachChild(file, function visit(node) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      if (!decorators(node).some((d) => decoratorName(d) === 'Controller')) return;
      for (const member of node.members) {
        if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
        if (!decorators(member).some((d) => HTTP_DECORATORS.has(decoratorName(d)))) continue;
        const sig = checker.getSignatureFromDeclaration(member);
        if (!sig) continue;
        const returned = checker.getAwaitedType(checker.getReturnTypeOfSignature(sig)) ?? checker.getReturnTypeOfSignature(sig);
        const isVoid = returned.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined);
        const symbol = checker.getSymbolAtLocation(member.name);
        const doc = symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim() : '';
        const op = { file: rel };
        if (doc) op.description = doc;
        if (!isVoid) op.response = schemaOf(returned, undefined, []);
        operations[`${node.name.text}_${member.name.text}`] = op;
      }
    });
  }
  const sorted = Object.fromEntries(Object.entries(operations).sort(([a], [b]) => a.localeCompare(b)));
  return (
    '// Generated by `npm run openapi:generate` (scripts/openapi-generate.mjs) from the\n' +
    "// route handlers' return types: do not edit by hand.\n" +
    "import type { GeneratedOperation } from './generated-operation.js';\n\n" +
    `export const GENERATED_OPERATIONS: Record<string, GeneratedOperation> = ${JSON.stringify(sorted, null, 2)};\n`
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generate();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUTPUT, 'utf8');
    } catch {
      /* missing: stale */
    }
    if (current !== text) {
      process.stderr.write(`${relative(root, OUTPUT)} is stale: run npm run openapi:generate\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(OUTPUT, text);
    process.stdout.write(`wrote ${relative(root, OUTPUT)}\n`);
  }
}
