import { z } from 'zod';

/**
 * What `init --detect` found: every value with the evidence it came from, every value it
 * looked for and could not establish with the reason, and notes (hazards, other deployments
 * seen and ignored). It never fills a var by guessing: what it did not find stays as the
 * default plan has it, and is listed under `missing`.
 */
export const detectedValueSchema = z.union([z.string(), z.number()]);

export const findingSchema = z.strictObject({
  /** The plan var this value is for. */
  name: z.string(),
  value: detectedValueSchema,
  /** Where it was read: a file (and what in it), a process, a command's output. */
  source: z.string(),
});

export const gapSchema = z.strictObject({
  name: z.string(),
  reason: z.string(),
});

export const detectReportSchema = z.strictObject({
  version: z.literal(1),
  host: z.string(),
  /** The prefix well-known paths were read under (`/` on a real host). */
  root: z.string(),
  found: z.array(findingSchema),
  missing: z.array(gapSchema),
  notes: z.array(z.string()),
});

export type Finding = z.infer<typeof findingSchema>;
export type Gap = z.infer<typeof gapSchema>;
export type DetectReport = z.infer<typeof detectReportSchema>;

/** Collects findings and gaps; a later finding for a name already found is ignored. */
export class Evidence {
  readonly found: Finding[] = [];
  readonly missing: Gap[] = [];
  readonly notes: string[] = [];

  has(name: string): boolean {
    return this.found.some((f) => f.name === name);
  }

  get(name: string): string | number | undefined {
    return this.found.find((f) => f.name === name)?.value;
  }

  add(name: string, value: string | number | undefined, source: string): void {
    if (value === undefined || value === '' || this.has(name)) return;
    this.found.push({ name, value, source });
    const gap = this.missing.findIndex((g) => g.name === name);
    if (gap >= 0) this.missing.splice(gap, 1);
  }

  miss(name: string, reason: string): void {
    if (this.has(name) || this.missing.some((g) => g.name === name)) return;
    this.missing.push({ name, reason });
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }
}
