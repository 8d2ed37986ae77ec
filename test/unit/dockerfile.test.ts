/**
 * A structural lint of the Dockerfile (no Docker engine and no hadolint here): the rules the image must keep,
 * checked on the parsed instructions. Each rule names what breaks in the image when it is not met.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures.js';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped (Dockerfile reference: "Format"). */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trimEnd() : line;
    pending = pending === undefined ? { text: body, line: i + 1 } : { text: `${pending.text} ${body}`, line: pending.line };
    if (continued) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
    if (m !== null) out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: pending.line });
    pending = undefined;
  });
  return out;
}

/** Stages: the instructions from each FROM to the next. */
function stages(instructions: Instruction[]): Array<{ from: Instruction; name: string | undefined; body: Instruction[] }> {
  const out: Array<{ from: Instruction; name: string | undefined; body: Instruction[] }> = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') out.push({ from: ins, name: /\s+AS\s+(\S+)$/i.exec(ins.args)?.[1], body: [] });
    else out.at(-1)?.body.push(ins);
  }
  return out;
}

/** COPY/ADD arguments without flags: sources then destination; JSON form too. */
function copyParts(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

const DOCKERFILE = join(REPO_ROOT, 'Dockerfile');
const instructions = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const allStages = stages(instructions);
const final = allStages.at(-1);

describe('Dockerfile (structural lint)', () => {
  it('has a build stage and a runtime stage, all on Node 22 (the LTS the image ships)', () => {
    expect(allStages.length).to.be.at.least(2);
    for (const s of allStages) expect(s.from.args, `line ${s.from.line}`).to.match(/^node:22[-.\w]*\b/);
    expect(final?.from.args).to.match(/^node:22-bookworm-slim\b/);
  });

  it('runs the final stage as a user that is not root', () => {
    const users = (final?.body ?? []).filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users, 'a USER in the final stage').not.to.be.empty;
    expect(users.at(-1)).not.to.be.oneOf(['root', '0']);
  });

  it('checks /healthz with node (no curl in the slim image)', () => {
    const hc = (final?.body ?? []).filter((i) => i.keyword === 'HEALTHCHECK');
    expect(hc).to.have.length(1);
    expect(hc[0]?.args).to.match(/CMD \[\s*"node", "-e"/).and.to.contain('/healthz');
  });

  it('declares volumes for the config and the data, and exposes DICOM, MLLP and HTTP', () => {
    const volumes = (final?.body ?? []).filter((i) => i.keyword === 'VOLUME').flatMap((i) => (i.args.startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/)));
    expect(volumes).to.include.members(['/etc/pacs-ai-gateway', '/var/lib/pacs-ai-gateway']);
    const ports = (final?.body ?? []).filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(ports).to.include.members(['11112', '2575', '8080']);
  });

  it('copies only sources that exist in the repository and are not in .dockerignore', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const copies = instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    expect(copies).not.to.be.empty;
    const names = allStages.map((s) => s.name);
    for (const c of copies) {
      const { flags, sources } = copyParts(c.args);
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      if (from !== undefined) {
        expect(names.slice(0, allStages.findIndex((s) => s.body.includes(c))), `line ${c.line}: --from an earlier stage`).to.include(from);
        continue;
      }
      expect(c.keyword, `line ${c.line}: COPY, not ADD, for local files`).to.equal('COPY');
      for (const src of sources) {
        expect(existsSync(join(REPO_ROOT, src)), `line ${c.line}: ${src} exists`).to.equal(true);
        const top = src.replace(/^\.\//, '').split('/')[0] as string;
        expect(ignored, `line ${c.line}: ${src} is excluded by .dockerignore`).not.to.include(top);
      }
    }
  });

  it('starts through the entrypoint script in exec (JSON) form, and the script execs the daemon', () => {
    const entry = (final?.body ?? []).filter((i) => i.keyword === 'ENTRYPOINT');
    expect(entry).to.have.length(1);
    const argv = JSON.parse(entry[0]?.args ?? '') as string[];
    expect(argv[0]).to.equal('/app/docker/entrypoint.sh');
    const copied = (final?.body ?? []).some((i) => i.keyword === 'COPY' && copyParts(i.args).sources.includes('docker/entrypoint.sh'));
    expect(copied, 'docker/entrypoint.sh is copied into the image').to.equal(true);
    const script = join(REPO_ROOT, 'docker', 'entrypoint.sh');
    expect(statSync(script).mode & 0o111, 'entrypoint.sh is executable').not.to.equal(0);
    // Without exec the shell stays PID 1 and `docker stop` never reaches the daemon's SIGTERM handler.
    expect(readFileSync(script, 'utf8')).to.match(/^exec node "\$MAIN" "\$@"$/m);
  });

  it('its parser sees through continuation lines and comments', () => {
    const parsed = parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # inner\n  && y\nCOPY --from=b /p ./q\n');
    expect(parsed.map((i) => i.keyword)).to.deep.equal(['FROM', 'RUN', 'COPY']);
    expect(parsed[1]?.args).to.equal('x && y');
    expect(copyParts(parsed[2]?.args ?? '')).to.deep.equal({ flags: ['--from=b'], sources: ['/p'], dest: './q' });
  });
});
