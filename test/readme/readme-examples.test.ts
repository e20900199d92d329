import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticMultiArchTag, syntheticTags } from '../support/hub-data';
import { Child, startChild } from '../support/child';

/**
 * The README is tested documentation: every fenced `sh` and `graphql` block runs, in the
 * README's order, against a real service (a child process, as after `npm start`) on a fresh
 * database and the fake Docker Hub.
 *
 * - `sh` blocks run in one bash session (variables carry over from block to block), with
 *   `http://localhost:4000` replaced by the service's address and the working directory
 *   holding the service's `.data` (its generated admin token: a fresh install sets no
 *   CATALOG_ADMIN_TOKEN). `npm run scrape` runs the built scrape command; other `npm`
 *   commands (install, start, test, build, …) and `docker` are skipped with a message: the
 *   service is already running.
 * - `graphql` blocks are POSTed to /graphql (mutations with the token).
 * - Every JSON answer must hold no `errors`, unless its block says `# expected error: CODE`;
 *   then an error with that code must come. Every command must succeed (bash's ERR trap).
 * - A block right after `<!-- README test: skip (why) -->` is not run.
 * - Without `jq`, the blocks that use it (and later blocks using variables they set) are
 *   skipped with a message; nothing is installed.
 */
const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/src/cli/scrape.js');

interface Block {
  lang: 'sh' | 'graphql';
  line: number;
  code: string;
  skip?: string;
}

export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].startsWith(indent + fence); j++) body.push(lines[j].slice(indent.length));
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? /^<!--\s*README test:\s*skip\b\s*(.*?)\s*-->/i.exec(lines[k].trim()) : null;
    if (lang === 'sh' || lang === 'graphql') {
      blocks.push({ lang, line: i + 1, code: body.join('\n'), skip: marker ? `marked: ${marker[1] || 'skip'}` : undefined });
    }
    i = j;
  }
  return blocks;
}

const hasJq = (() => {
  try {
    execFileSync('bash', ['-c', 'command -v jq'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let db: TestDatabase;
let hub: FakeDockerHub;
let service: Child;
let workDir: string;
let base: string;
let token: string;

before(async () => {
  db = await createTestDatabase('readme');
  hub = await FakeDockerHub.start({ maxPageSize: 100 });
  // The images the README names. Everything else on the default list is unknown to this
  // fake (NOT_FOUND), as `sparl` is upstream.
  hub.setRepository('library', 'nginx', {
    tags: ['latest', '1.27', '1.27-alpine', '1.26'].map((name, i) =>
      syntheticMultiArchTag(name, { lastUpdated: Date.parse('2026-11-20T00:00:00Z') - i * 3_600_000 }),
    ),
  });
  hub.setRepository('library', 'postgres', { tags: ['latest', '17', '16'].map((name) => syntheticMultiArchTag(name)) });
  hub.setRepository('library', 'alpine', { tags: syntheticTags(3, { name: (i) => ['latest', '3.21', '3.20'][i] }) });
  hub.setRepository('library', 'scratch', { tags: [] });
  hub.setRepository('grafana', 'grafana', { tags: syntheticTags(4) });
  hub.setRepository('bitnami', 'redis', { tags: syntheticTags(3) });

  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-readme-'));
  // A fresh install: the default list, the scheduler on, a generated token in ./.data.
  service = startChild({
    DATABASE_URL: db.url,
    DOCKER_HUB_URL: hub.url,
    CATALOG_DATA_DIR: path.join(workDir, '.data'),
    CATALOG_ADMIN_TOKEN: '', // empty counts as unset: generated, as on a fresh install
  });
  base = (await service.waitForLog((l) => l.step === 'ready', 60_000)).url;
  token = fs.readFileSync(path.join(workDir, '.data', 'admin-token'), 'utf8').trim();
  // The start-up output says where the Sandbox is, in plain words.
  const banner = `Apollo Sandbox: open ${base}/ in a browser`;
  for (let i = 0; i < 50 && !service.stderr.includes(banner); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(service.stderr.includes(banner), service.stderr);
});

after(async () => {
  service?.kill('SIGTERM');
  await service?.exited;
  await hub?.close();
  await db?.drop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** One bash session that runs blocks one after the other and reports each one's output. */
class Bash {
  private proc: ChildProcess;
  private out = '';
  private err = '';
  private waiting: (() => void) | undefined;
  private seq = 0;

  constructor(cwd: string, env: Record<string, string>) {
    this.proc = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (c) => {
      this.out += c;
      this.waiting?.();
    });
    this.proc.stderr!.on('data', (c) => (this.err += c));
    this.proc.on('exit', () => this.waiting?.());
  }

  async run(code: string, timeoutMs = 120_000): Promise<{ stdout: string; stderr: string; status: number }> {
    const marker = `__README_BLOCK_DONE_${++this.seq}__`;
    this.out = '';
    this.err = '';
    this.proc.stdin!.write(`${code}\necho; echo "${marker} $?"\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = new RegExp(`${marker} (\\d+)\\n`).exec(this.out);
      if (m) {
        await new Promise((r) => setTimeout(r, 20)); // let stderr catch up
        return { stdout: this.out.slice(0, m.index), stderr: this.err, status: Number(m[1]) };
      }
      if (this.proc.exitCode !== null) throw new Error(`bash exited (${this.proc.exitCode}); stdout: ${this.out}; stderr: ${this.err}`);
      if (Date.now() > deadline) throw new Error(`the block did not finish in ${timeoutMs} ms; stdout: ${this.out}; stderr: ${this.err}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.proc.stdin!.end();
    this.proc.kill('SIGKILL');
  }
}

/** Shell functions standing in for what the test does not run itself. */
function prelude(): string {
  return [
    'set -E',
    // Every failing command is reported (the test fails unless the block expects it).
    `trap 'echo "README-TEST-FAILED: $BASH_COMMAND (exit $?)" >&2' ERR`,
    // A newline after each answer, so that answers are one JSON document per line.
    'curl() { command curl "$@"; local rc=$?; echo; return $rc; }',
    // `npm run scrape` as npm runs it (after the build the test did): npm's banner on stdout
    // unless --silent, then the command with what follows `--`.
    'npm() {',
    '  local silent= args=()',
    '  for a in "$@"; do case "$a" in -s|--silent) silent=1 ;; *) args+=("$a") ;; esac; done',
    '  if [ "${args[0]} ${args[1]}" = "run scrape" ]; then',
    '    args=("${args[@]:2}"); [ "${args[0]}" = "--" ] && args=("${args[@]:1}")',
    '    [ -z "$silent" ] && printf "\\n> catalog-sync@0.1.0 scrape\\n> node dist/src/cli/scrape.js %s\\n\\n" "${args[*]}"',
    '    node "$README_TEST_CLI" "${args[@]}"; return $?',
    '  fi',
    '  echo "README test: skipped \\`npm $*\\` (installs, builds or starts the service, which the test has done)" >&2',
    '}',
    'docker() { echo "README test: skipped \\`docker $*\\` (no container engine here)" >&2; }',
  ].join('\n');
}

test('every README example runs, in order, on a fresh install', async (t) => {
  const blocks = readmeBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.filter((b) => b.lang === 'sh').length >= 10, 'the README has its shell examples');
  assert.ok(blocks.some((b) => b.lang === 'graphql'));
  const bash = new Bash(workDir, {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: workDir,
    // What a user running the scrape command beside the service would have set.
    DATABASE_URL: db.url,
    DOCKER_HUB_URL: hub.url,
    CATALOG_DATA_DIR: path.join(workDir, '.data'),
    README_TEST_CLI: CLI,
    LOG_LEVEL: 'warn',
  });
  const skippedVars = new Set<string>();
  let ran = 0;
  try {
    const setup = await bash.run(prelude());
    assert.equal(setup.status, 0, setup.stderr);
    for (const block of blocks) {
      const where = `README.md:${block.line} (${block.lang})`;
      let skip = block.skip;
      if (!skip && block.lang === 'sh' && !hasJq) {
        const usesSkipped = [...skippedVars].some((v) => new RegExp(`\\$\\{?${v}\\b`).test(block.code));
        if (/\bjq\b/.test(block.code) || usesSkipped) {
          skip = usesSkipped ? 'uses a variable set by a block skipped for want of jq' : 'needs jq, which is not installed';
          for (const m of block.code.matchAll(/^\s*(?:read\s+-r\s+([\w ]+?)\s*<|(\w+)=)/gm)) {
            for (const v of (m[1] ?? m[2]).split(/\s+/)) skippedVars.add(v);
          }
        }
      }
      if (skip) {
        t.diagnostic(`${where}: skipped, ${skip}`);
        continue;
      }
      const expected = [...block.code.matchAll(/#\s*expected error:\s*([A-Z_]+)/g)].map((m) => m[1]);
      let answers: any[];
      if (block.lang === 'graphql') {
        const mutation = /^\s*mutation\b/.test(block.code);
        const res = await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(mutation ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query: block.code }),
        });
        answers = [await res.json()];
      } else {
        const code = block.code.replaceAll('http://localhost:4000', base);
        const r = await bash.run(code);
        const failures = r.stderr.split('\n').filter((l) => l.startsWith('README-TEST-FAILED:'));
        for (const l of r.stderr.split('\n').filter((x) => x.startsWith('README test: skipped'))) t.diagnostic(`${where}: ${l.slice(13)}`);
        assert.deepEqual(failures, [], `${where}: a command failed\n${block.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.equal(r.status, 0, `${where}: exit status ${r.status}\nstderr: ${r.stderr}`);
        answers = r.stdout
          .split('\n')
          .filter((l) => l.trim().startsWith('{'))
          .map((l) => {
            try {
              return JSON.parse(l);
            } catch {
              assert.fail(`${where}: an answer is not JSON: ${l}`);
            }
          });
      }
      const errorCodes = answers.flatMap((a) => (a.errors ?? []).map((e: any) => e.extensions?.code ?? e.message));
      if (expected.length === 0) {
        assert.deepEqual(errorCodes, [], `${where}: answered with errors\n${block.code}\n${JSON.stringify(answers, null, 1).slice(0, 4000)}`);
      } else {
        assert.deepEqual(errorCodes, expected, `${where}: expected exactly the errors ${expected.join(', ')}\n${JSON.stringify(answers).slice(0, 4000)}`);
      }
      ran++;
    }
  } finally {
    bash.close();
  }
  t.diagnostic(`${ran} of ${blocks.length} README examples ran`);
  assert.ok(ran >= (hasJq ? blocks.length - blocks.filter((b) => b.skip).length : 5));
});
