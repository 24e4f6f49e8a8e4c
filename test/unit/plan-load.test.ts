import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { minimalPlan, planFromText, planIssues } from '../helpers/plan.js';

describe('plan loading', () => {
  it('resolves vars per argv element, defaults and the rollback target', () => {
    const plan = planFromText(
      minimalPlan.replace('run: [echo, "${root}"]', 'run: [echo, "${root} ; rm -rf /"]'),
    );
    const step = plan.phases[0]!.steps[0]!;
    expect(step.kind === 'run' && step.argv).toEqual(['echo', '/srv ; rm -rf /']);
    expect(plan.systems.cfg!.path).toBe('/srv/cfg');
    expect(plan.phases[0]!.rollback.to).toBeNull();
    expect(plan.phases[1]!.rollback.to).toBe(0);
    expect(plan.phases[0]!.rollback.restore).toEqual(['cfg']);
  });

  it('applies --env, then --var, over the plan vars', () => {
    const text = `${minimalPlan}environments:\n  staging: { vars: { root: /stage } }\n`;
    expect(planFromText(text, { environment: 'staging' }).systems.cfg!.path).toBe('/stage/cfg');
    expect(planFromText(text, { environment: 'staging', vars: { root: '/cli' } }).systems.cfg!.path).toBe(
      '/cli/cfg',
    );
    expect(() => planFromText(text, { environment: 'prod' })).toThrow(InputError);
  });

  it('reads ${env:NAME:-fallback} and $${ as a literal', () => {
    const text = minimalPlan
      .replace('root: /srv', 'root: "${env:GNR_ROOT:-/fallback}"')
      .replace('run: [echo, "${root}"]', () => 'run: [echo, "$${root}"]');
    expect(planFromText(text).systems.cfg!.path).toBe('/fallback/cfg');
    expect(planFromText(text, { processEnv: { GNR_ROOT: '/from-env' } }).systems.cfg!.path).toBe(
      '/from-env/cfg',
    );
    const step = planFromText(text).phases[0]!.steps[0]!;
    expect(step.kind === 'run' && step.argv[1]).toBe('${root}');
  });

  it('names file, line, column and path for a wrong type', () => {
    const [issue] = planIssues(minimalPlan.replace('title: Zero', 'title: Zero\n    deferred: "yes"'));
    expect(issue).toMatchObject({ file: 'plan.yaml', line: 11, column: 5, path: 'phases[0].deferred' });
    expect(issue!.message).toMatch(/expected boolean/);
  });

  it('rejects unknown keys and suggests the right one', () => {
    const [issue] = planIssues(minimalPlan.replace('backup: [cfg]', 'backups: [cfg]'));
    expect(issue!.path).toBe('phases[0].backups');
    expect(issue!.message).toMatch(/unknown key "backups".*did you mean "backup"/);
    expect(issue!.line).toBe(11);
  });

  it('explains a check with no kind or two kinds', () => {
    const none = planIssues(
      minimalPlan.replace('    steps:', '    checks:\n      - id: c1\n        title: x\n    steps:'),
    );
    expect(none[0]!.message).toMatch(/needs one of the keys run, shell, http/);
    const two = planIssues(
      minimalPlan.replace(
        '    steps:',
        '    checks:\n      - id: c1\n        tcp: "a:1"\n        file: /x\n    steps:',
      ),
    );
    expect(two[0]!.message).toMatch(/exactly one kind; found tcp and file/);
  });

  it('reports the kind-specific error of a check', () => {
    const issues = planIssues(
      minimalPlan.replace(
        '    steps:',
        '    checks:\n      - id: c1\n        http: http://x\n        expect: { status: "200" }\n    steps:',
      ),
    );
    expect(issues[0]).toMatchObject({ path: 'phases[0].checks[0].expect.status' });
  });

  it('cross-checks ids, systems, path, vars and rollback targets', () => {
    const dup = planIssues(minimalPlan.replace('  - id: 3\n', '  - id: 0\n'));
    expect(dup.map((i) => i.message).join('\n')).toMatch(/duplicate phase id 0/);
    const sys = planIssues(minimalPlan.replace('backup: [cfg]', 'backup: [nope]'));
    expect(sys[0]).toMatchObject({ path: 'phases[0].backup[0]' });
    expect(sys[0]!.message).toMatch(/unknown system "nope" \(systems: cfg\)/);
    const path = planIssues(minimalPlan.replace('path: [0, 3]', 'path: [0, 3, 9]'));
    expect(path[0]!.message).toMatch(/phase 9 is on the path but not defined/);
    const v = planIssues(minimalPlan.replace('"${root}"]', '"${nothere}"]'));
    expect(v[0]).toMatchObject({ path: 'phases[0].steps[0].run[1]' });
    expect(v[0]!.message).toMatch(/\$\{nothere\} has no value.*--var nothere=VALUE/);
    const rb = planIssues(
      minimalPlan.replace('    title: Three\n', '    title: Three\n    rollback: { to: 3 }\n'),
    );
    expect(rb[0]!.message).toMatch(/not an earlier phase/);
  });

  it('rejects repeated check ids, bad URLs, bad ports and bad regexes after interpolation', () => {
    const checks = (body: string) => minimalPlan.replace('    steps:', `    checks:\n${body}    steps:`);
    expect(
      planIssues(checks('      - { id: a, file: /x }\n      - { id: a, file: /y }\n'))[0]!.message,
    ).toMatch(/duplicate check id "a"/);
    expect(planIssues(checks('      - { id: a, http: "not a url" }\n'))[0]!.message).toMatch(/expected URL/);
    expect(planIssues(checks('      - { id: a, tcp: "localhost:99999" }\n'))[0]!.message).toMatch(
      /port from 1 to 65535/,
    );
    expect(planIssues(checks('      - { id: a, file: /x, contains: "([a-" }\n'))[0]!.message).toMatch(
      /not a valid regular expression/,
    );
  });

  it('refuses an empty file, bad YAML and non-UTF-8 with a location', () => {
    expect(planIssues('  \n')[0]!.message).toMatch(/empty/);
    const yaml = planIssues('version: 1\nproject: [x\n');
    expect(yaml[0]!.message).toMatch(/YAML syntax/);
    expect(yaml[0]!.line).toBeGreaterThan(0);
    const bytes = Buffer.concat([
      Buffer.from('version: 1\nproject: '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\n'),
    ]);
    const utf = planIssues(bytes);
    expect(utf[0]).toMatchObject({ line: 2 });
    expect(utf[0]!.message).toMatch(/not valid UTF-8/);
  });

  it('detects var cycles', () => {
    const issues = planIssues(minimalPlan.replace('root: /srv', 'root: "${a}"\n  a: "${root}"'));
    expect(issues[0]!.message).toMatch(/cycle/);
  });
});
