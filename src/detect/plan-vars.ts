import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import type { DetectReport } from './report.js';

/**
 * Writes what was detected into a plan's text, as edits of the text itself (the rest of the
 * file stays byte for byte as it was, comments and layout included): each detected value
 * replaces the value of the var of that name under `vars:`, with `# detected: <source>` on its
 * line; a detected var the plan does not have is appended to `vars:`; a var that was looked
 * for and not found gets `# NOT DETECTED: <reason>` and keeps the plan's value.
 */
export function applyDetectedVars(
  planText: string,
  report: DetectReport,
): { text: string; set: string[]; added: string[] } {
  const doc = parseDocument(planText, { keepSourceTokens: false });
  const vars = doc.get('vars', true);
  if (!isMap(vars) || !vars.range || vars.flow) {
    throw new Error('the plan has no block `vars:` map to write the detected values into');
  }
  const map = vars as YAMLMap;
  const edits: { at: number; end: number; text: string }[] = [];
  const set: string[] = [];
  const added: string[] = [];
  const lineEnd = (from: number) => {
    const nl = planText.indexOf('\n', from);
    return nl < 0 ? planText.length : nl;
  };
  const noteOnLine = (valueEnd: number, note: string) => {
    const end = lineEnd(valueEnd);
    const rest = planText.slice(valueEnd, end);
    return { at: end, end, text: rest.includes('#') ? ` (${note})` : ` # ${note}` };
  };
  for (const f of report.found) {
    const node = map.get(f.name, true);
    if (isScalar(node) && node.range) {
      const [start, valueEnd] = node.range;
      edits.push({ at: start, end: valueEnd, text: literal(f.value) });
      edits.push(noteOnLine(valueEnd, `detected: ${oneLine(f.source)}`));
      set.push(f.name);
    } else if (node === undefined) {
      added.push(f.name);
    }
  }
  for (const g of report.missing) {
    const node = map.get(g.name, true);
    if (isScalar(node) && node.range)
      edits.push(noteOnLine(node.range[1], `NOT DETECTED: ${oneLine(g.reason)}`));
  }
  if (added.length > 0) {
    const first = map.items[0]?.key;
    const keyStart = isScalar(first) && first.range ? first.range[0] : map.range![0];
    const indent = keyStart - (planText.lastIndexOf('\n', keyStart - 1) + 1);
    const pad = ' '.repeat(indent);
    // After the last line of the map's last value (its range ends after trailing comments).
    const lastValue = map.items[map.items.length - 1]?.value;
    const after =
      isScalar(lastValue) && lastValue.range ? lineEnd(lastValue.range[1]) : lineEnd(map.range![1]);
    const lines = [`${pad}# ── detected by gnr-migrate init --detect, not in the default plan ──`];
    for (const name of added) {
      const f = report.found.find((x) => x.name === name)!;
      lines.push(`${pad}${name}: ${literal(f.value)} # detected: ${oneLine(f.source)}`);
    }
    edits.push({ at: after, end: after, text: `\n${lines.join('\n')}` });
  }
  let text = planText;
  for (const e of edits.sort((a, b) => b.at - a.at || b.end - a.end)) {
    text = text.slice(0, e.at) + e.text + text.slice(e.end);
  }
  return { text, set, added };
}

const literal = (v: string | number) => (typeof v === 'number' ? String(v) : JSON.stringify(v));
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
