/** RFC 4180 CSV (quotes, doubled quotes, CRLF, a UTF-8 BOM) to rows of strings; blank lines dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export const BILL_COLUMNS = ['customerRef', 'period', 'amount', 'currency', 'dueDate', 'customerName'] as const;

/**
 * CSV rows (a header naming the columns, any order) to the API's bill objects.
 * Values go as typed (amount as an integer of minor units when it is one), so
 * the server's per-row checks decide and report by index.
 */
export function billsFromCsv(rows: string[][]): { bills: Record<string, unknown>[]; missing: string[] } {
  const [header = [], ...data] = rows;
  const names = header.map((h) => h.trim());
  const missing = BILL_COLUMNS.filter((c) => c !== 'customerName' && !names.includes(c));
  const bills = data.map((r) => {
    const bill: Record<string, unknown> = {};
    names.forEach((name, i) => {
      if (!(BILL_COLUMNS as readonly string[]).includes(name)) return;
      const v = (r[i] ?? '').trim();
      if (name === 'customerName' && v === '') return;
      bill[name] = name === 'amount' && /^-?\d+$/.test(v) ? Number(v) : v;
    });
    return bill;
  });
  return { bills, missing };
}
