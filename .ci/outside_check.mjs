// The kit as a pool author gets it: packed with `npm pack`, published to a
// registry on loopback (which passes every other package through to the
// real one), installed into projects outside this repository, and run there
// under `node --test`, `deno test` and `bun test` with their default
// settings, and through the `poolcheck` CLI under each runtime.
//
// The projects are made from the documentation itself, so no documented
// command can go stale:
// - README.md and docs/*.md: every fenced block is either run or is data.
//   `ts`/`js` blocks are run by `deno test --doc` (the test suite); a block
//   with `file=NAME` is written into the project of its document (or of its
//   `project=NAME`), and README's files are the base of every project of
//   docs/vendoring.md; `sh outside` blocks run line by line in that project,
//   `sh repo` blocks in a clone of this repository, and `sh ci` blocks are
//   lines .ci/run runs itself (checked here); `yaml workflow=NAME`
//   blocks are GitHub Actions workflows whose `run:` steps are executed in a
//   fresh copy of the project's committed files (one per job and matrix
//   entry, jobs in order, artifacts passed through a shared folder); `json` and `text` blocks are
//   data and sample output.
// - README's project is also run with a broken pool (one connection too
//   many): every runner and the CLI must fail it and name LIM-1.
//
// Run with `node --test .ci/outside_check.mjs` (`.ci/run` does); `deno` and
// `bun` are fetched with `npx -y` and put on PATH.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const WORK = mkdtempSync(join(tmpdir(), "poolcheck-outside-"));
const LONG = { timeout: 30 * 60_000 };
const run = promisify(execFile);
/** The pool the documented adapters adapt, installed as a user's project has it. */
const POOL = "generic-pool@3.9.0";
/** GitHub actions a workflow may use, and what stands for them here. */
const KNOWN_ACTIONS = {
  "actions/checkout": "the project's committed files are copied into a fresh folder",
  "actions/setup-node": "Node.js of this machine",
  "denoland/setup-deno": "deno from npx -y deno",
  "oven-sh/setup-bun": "bun from npx -y bun",
  "actions/upload-artifact": "the file is copied into a folder the workflow's jobs share",
  "actions/download-artifact": "the shared folder's matching artifacts are copied in",
};
/** What stands for `${{ github.run_id }}`: a run's id, the same in all its jobs. */
const RUN_ID = "20261121";

/** Fenced blocks of a Markdown file: info string, attributes and text. */
function fencedBlocks(markdown) {
  const blocks = [];
  for (const match of markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    const info = match[1].trim();
    const words = info.split(/\s+/).filter(Boolean);
    const attributes = Object.fromEntries(
      [...info.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map(([, k, v]) => [k, v.replace(/^"|"$/g, "")]),
    );
    blocks.push({ info, language: words[0] ?? "", words, attributes, text: match[2] });
  }
  return blocks;
}

const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).filter((n) => n.endsWith(".md")).sort().map((n) =>
    `docs/${n}`
  ),
].map((name) => ({
  name,
  blocks: fencedBlocks(readFileSync(join(ROOT, name), "utf8")),
  project: name === "README.md" ? "readme" : basename(name, ".md"),
}));

/** How a block is run, or why it needs no run; `undefined` for a block nothing runs. */
function disposition(block) {
  const { language, words, attributes } = block;
  if (["ts", "js", "typescript", "javascript"].includes(language)) {
    if (!words.includes("ignore")) return "deno test --doc";
    return attributes.file ? "written into an outside project" : undefined;
  }
  if (language === "sh") {
    if (words.includes("outside")) return "run in an outside project";
    if (words.includes("ci")) return "run by .ci/run";
    if (words.includes("repo")) return "run in a clone of the kit";
    return undefined;
  }
  if (language === "yaml") return attributes.workflow ? "run as a workflow" : undefined;
  if (language === "json" || language === "text") return "data";
  return undefined;
}

/** Commands of a shell block, one per line, comments dropped. */
function commandsOf(text) {
  return text.split("\n").map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) => line && !line.startsWith("#"));
}

const isInstall = (command) =>
  /^(npm (install|i|ci)|deno add|deno install|bun (add|install))\b/.test(command);

/** Projects the documentation describes: name → files, shell commands, workflows. */
function projects() {
  const readme = DOCUMENTS[0];
  const readmeFiles = Object.fromEntries(
    readme.blocks.filter((b) => b.attributes.file).map((b) => [b.attributes.file, b.text]),
  );
  const found = new Map();
  const projectOf = (document, block) => {
    const name = block.attributes.project ?? document.project;
    if (!found.has(name)) {
      // A vendoring project starts from README's adapter, test and expectation files.
      const base = document.name === "docs/vendoring.md" ? { ...readmeFiles } : {};
      found.set(name, { name, files: base, commands: [], workflows: [] });
    }
    return found.get(name);
  };
  for (const document of DOCUMENTS) {
    for (const block of document.blocks) {
      if (block.attributes.file && block.language !== "sh") {
        projectOf(document, block).files[block.attributes.file] = block.text;
      } else if (block.language === "sh" && block.words.includes("outside")) {
        projectOf(document, block).commands.push(...commandsOf(block.text));
      } else if (block.language === "yaml" && block.attributes.workflow) {
        projectOf(document, block).workflows.push({
          name: `${block.attributes.workflow} (${document.name})`,
          text: block.text,
        });
      }
    }
  }
  return [...found.values()];
}

let registry;
let env;

/** A registry on loopback that serves the packed kit and passes the rest through. */
async function startRegistry(tarball, manifest) {
  const upstream = (await run("npm", ["config", "get", "registry"])).stdout.trim()
    .replace(/\/$/, "");
  const bytes = readFileSync(tarball);
  // Where npm publishes a tarball; Bun, migrating a package-lock.json, asks there whatever it says.
  const tarballPath = `/${manifest.name}/-/${
    manifest.name.split("/").pop()
  }-${manifest.version}.tgz`;
  const server = createServer(async (request, response) => {
    const url = decodeURIComponent(request.url ?? "/");
    const base = `http://127.0.0.1:${server.address().port}`;
    try {
      if (url === `/${manifest.name}`) {
        const version = {
          ...manifest,
          _id: `${manifest.name}@${manifest.version}`,
          dist: {
            tarball: `${base}${tarballPath}`,
            shasum: createHash("sha1").update(bytes).digest("hex"),
            integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
          },
        };
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({
          name: manifest.name,
          "dist-tags": { latest: manifest.version },
          versions: { [manifest.version]: version },
          time: { [manifest.version]: new Date(0).toISOString() },
        }));
      } else if (url === tarballPath) {
        response.writeHead(200, { "content-type": "application/octet-stream" });
        response.end(bytes);
      } else {
        const headers = request.headers.accept ? { accept: request.headers.accept } : {};
        const passed = await fetch(`${upstream}${request.url}`, { headers });
        response.writeHead(passed.status, {
          "content-type": passed.headers.get("content-type") ?? "application/json",
        });
        response.end(Buffer.from(await passed.arrayBuffer()));
      }
    } catch (error) {
      response.writeHead(502);
      response.end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** Run a shell command; resolves with its exit code and output. */
function sh(command, cwd, environment = env) {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", command], { cwd, env: environment });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });
}

async function mustPass(command, cwd, environment = env) {
  const { code, output } = await sh(command, cwd, environment);
  assert.equal(code, 0, `'${command}' in ${cwd} exited ${code}:\n${output.slice(-6000)}`);
  return output;
}

/** Make a project folder: its files, and (unless it is a Deno-only project) a package.json. */
async function makeProject(project) {
  const dir = join(WORK, project.name);
  mkdirSync(dir, { recursive: true });
  const denoOnly = project.commands.some((c) => c.startsWith("deno add"));
  if (!denoOnly) {
    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify({ name: project.name, private: true, type: "module" }, null, 2)}\n`,
    );
  }
  for (const [file, text] of Object.entries(project.files)) writeFileSync(join(dir, file), text);
  if (!denoOnly) await mustPass(`npm install --save-dev ${POOL}`, dir);
  if (!denoOnly && !project.commands.some(isInstall) && project.name !== "vendored") {
    await mustPass("npm install --save-dev @poolcheck/poolcheck", dir);
  }
  return dir;
}

/**
 * The jobs of a GitHub Actions workflow, checked against what can stand in for them here: in
 * their order (a job's `needs` must come before it), one per matrix entry, each a list of steps,
 * `{ commands }` or `{ action, with }`, with `${{ matrix.* }}` and `${{ github.run_id }}`
 * replaced. `if:` conditions are not evaluated: here every step must pass anyway.
 */
function workflowJobs(text) {
  const workflow = parseYaml(text);
  assert.ok(workflow?.on, "a workflow needs 'on'");
  const entries = Object.entries(workflow.jobs ?? {});
  assert.ok(entries.length > 0, "a workflow needs a job");
  const seen = new Set();
  const jobs = [];
  for (const [id, job] of entries) {
    for (const need of [job.needs ?? []].flat()) {
      assert.ok(seen.has(need), `job ${id} needs ${need}, which must come before it`);
    }
    seen.add(id);
    const matrix = job.strategy?.matrix ?? {};
    let entriesOfMatrix = [{}];
    for (const [key, values] of Object.entries(matrix)) {
      assert.ok(Array.isArray(values), `matrix.${key} must be a list`);
      entriesOfMatrix = entriesOfMatrix.flatMap((e) => values.map((v) => ({ ...e, [key]: v })));
    }
    for (const values of entriesOfMatrix) {
      const expand = (text) =>
        String(text).replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name) => {
          if (name === "github.run_id") return RUN_ID;
          const value = name.startsWith("matrix.") ? values[name.slice(7)] : undefined;
          assert.ok(value !== undefined, `no stand-in for \${{ ${name} }}`);
          return String(value);
        });
      const steps = (job.steps ?? []).map((step) => {
        if (step.uses !== undefined) {
          const action = step.uses.replace(/@.*$/, "");
          assert.ok(action in KNOWN_ACTIONS, `unknown action ${step.uses}`);
          const inputs = Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(v)]);
          return { action, with: Object.fromEntries(inputs) };
        }
        assert.equal(typeof step.run, "string", "a step is 'uses' or 'run'");
        return { commands: commandsOf(expand(step.run)) };
      });
      const suffix = Object.keys(values).length === 0 ? "" : ` ${JSON.stringify(values)}`;
      jobs.push({ name: `${id}${suffix}`, steps });
    }
  }
  return jobs;
}

/** Run a workflow's jobs, each in a fresh copy of the project, sharing an artifact folder. */
async function runWorkflow(workflow, project, dir) {
  const base = join(WORK, `${project.name}-${workflow.name.replace(/\W+/g, "-")}`);
  const artifacts = join(base, "artifacts");
  mkdirSync(artifacts, { recursive: true });
  for (const [index, job] of workflowJobs(workflow.text).entries()) {
    const checkout = join(base, `job-${index}`);
    cpSync(dir, checkout, {
      recursive: true,
      filter: (source) => basename(source) !== "node_modules",
    });
    const environment = { ...env, GITHUB_STEP_SUMMARY: join(base, `summary-${index}.md`) };
    for (const step of job.steps) {
      if (step.commands !== undefined) {
        for (const command of step.commands) await mustPass(command, checkout, environment);
      } else if (step.action === "actions/upload-artifact") {
        const folder = join(artifacts, step.with.name);
        mkdirSync(folder, { recursive: true });
        cpSync(join(checkout, step.with.path), join(folder, basename(step.with.path)));
      } else if (step.action === "actions/download-artifact") {
        const pattern = new RegExp(
          `^${
            (step.with.pattern ?? "*").replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
          }$`,
        );
        const target = join(checkout, step.with.path ?? ".");
        for (const name of readdirSync(artifacts).filter((n) => pattern.test(n))) {
          // merge-multiple puts every artifact's files in one folder; without it, one folder each.
          const into = step.with["merge-multiple"] === "true" ? target : join(target, name);
          mkdirSync(into, { recursive: true });
          cpSync(join(artifacts, name), into, { recursive: true });
        }
      }
    }
  }
}

before(async () => {
  const pathDirs = new Set();
  for (const tool of ["deno", "bun"]) {
    await run("npx", ["-y", tool, "--version"], { cwd: WORK });
    const { stdout } = await run("bash", [
      "-c",
      `ls -td "$(npm config get cache)"/_npx/*/node_modules/.bin/${tool} | head -1`,
    ]);
    pathDirs.add(dirname(stdout.trim()));
  }
  await run("npm", ["pack", "--pack-destination", WORK], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tarball = join(WORK, readdirSync(WORK).find((n) => n.endsWith(".tgz")));
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  delete manifest.scripts;
  delete manifest.devDependencies;
  registry = await startRegistry(tarball, manifest);
  env = {
    ...process.env,
    PATH: `${[...pathDirs].join(":")}:${process.env.PATH}`,
    npm_config_registry: registry.url,
    NPM_CONFIG_REGISTRY: registry.url,
    npm_config_update_notifier: "false",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  // The checks below start test runners of their own: nothing of this run's may leak into them.
  for (const key of Object.keys(env)) if (key.startsWith("NODE_TEST")) delete env[key];
}, LONG);

after(() => {
  registry?.server.close();
  rmSync(WORK, { recursive: true, force: true });
});

describe("documentation", () => {
  test("every fenced block in README.md and docs/ is run, or is data", () => {
    const unrun = DOCUMENTS.flatMap((d) =>
      d.blocks.filter((b) => disposition(b) === undefined).map((b) => `${d.name}: \`\`\`${b.info}`)
    );
    assert.deepEqual(unrun, [], "blocks nothing runs (see this file's header for the kinds)");
  });

  test("nothing in the repository refers to files outside it", async () => {
    const { stdout } = await run("git", [
      "grep",
      "-l",
      "-E",
      "DESIGN\\.md|STYLE\\.md|\\.\\./shared",
    ], {
      cwd: ROOT,
    }).catch((error) => ({ stdout: error.stdout ?? "" }));
    const offending = stdout.split("\n").filter((f) => f && f !== ".ci/outside_check.mjs");
    assert.deepEqual(offending, []);
  });

  test("the commands shown as run by CI are in .ci/run", () => {
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    const missing = DOCUMENTS.flatMap((d) =>
      d.blocks.filter((b) => b.language === "sh" && b.words.includes("ci"))
        .flatMap((b) => commandsOf(b.text)).filter((command) => !ci.includes(` ${command}\n`))
    );
    assert.deepEqual(missing, []);
  });

  test("every relative link in README.md and docs/ names a file of the repository", () => {
    const broken = [];
    for (const { name } of DOCUMENTS) {
      const text = readFileSync(join(ROOT, name), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(ROOT, dirname(name), target))) broken.push(`${name}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  const repoCommands = DOCUMENTS.flatMap((d) =>
    d.blocks.filter((b) => b.language === "sh" && b.words.includes("repo"))
      .flatMap((b) => commandsOf(b.text).map((command) => ({ document: d.name, command })))
  );
  let clone;
  for (const { document, command } of repoCommands) {
    test(`${document}: '${command}' works in a clone of the kit`, LONG, async () => {
      if (clone === undefined) {
        clone = join(WORK, "kit-clone");
        await run("git", ["clone", "--quiet", "--local", ROOT, clone]);
        symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
      }
      // The kit's own commands use the registry its node_modules came from: Deno keys its npm
      // cache by registry, and would install everything again from the loopback one.
      const kitEnv = Object.fromEntries(
        Object.entries(env).filter(([key]) => key.toLowerCase() !== "npm_config_registry"),
      );
      await mustPass(command, clone, kitEnv);
      const { stdout } = await run("git", ["status", "--porcelain", "--untracked-files=no"], {
        cwd: clone,
      });
      assert.equal(stdout, "", `'${command}' changed tracked files of the kit`);
    });
  }
});

for (const project of projects()) {
  describe(`the '${project.name}' project of the documentation, outside this repository`, () => {
    let dir;
    before(async () => {
      dir = await makeProject(project);
    }, LONG);

    for (const command of project.commands) {
      test(`'${command}' succeeds`, LONG, async () => {
        await mustPass(command, dir);
      });
    }

    for (const workflow of project.workflows) {
      test(`workflow ${workflow.name} passes from a fresh checkout`, LONG, async () => {
        await runWorkflow(workflow, project, dir);
      });
    }
  });
}

describe("README's project with a broken pool", () => {
  const readme = projects().find((p) => p.name === "readme");
  let broken;

  before(async () => {
    assert.ok(readme.files["my_adapter.js"], "README.md has no block with file=my_adapter.js");
    broken = await makeProject({ ...readme, name: "readme-broken" });
    const adapter = readFileSync(join(broken, "my_adapter.js"), "utf8");
    assert.ok(adapter.includes("max: config.maxTotal,"));
    writeFileSync(
      join(broken, "my_adapter.js"),
      adapter.replace("max: config.maxTotal,", "max: config.maxTotal + 1,"),
    );
    for (const command of readme.commands.filter(isInstall)) await mustPass(command, broken);
  }, LONG);

  test("the installed package brings fast-check and fake-timers only, never the judged pools", () => {
    const kit = join(broken, "node_modules/@poolcheck/poolcheck");
    const installed = JSON.parse(readFileSync(join(kit, "package.json"), "utf8"));
    assert.deepEqual(Object.keys(installed.dependencies).sort(), [
      "@sinonjs/fake-timers",
      "fast-check",
    ]);
    for (const pool of ["tarn", "sequelize-pool", "pg-pool", "undici", "agentkeepalive", "pg"]) {
      assert.equal(existsSync(join(broken, "node_modules", pool)), false, `${pool} was installed`);
    }
  });

  for (
    const command of [
      "npx poolcheck --adapter ./my_adapter.js --expectations expectations.json --seed 1 --rule LIM",
      "deno run --allow-all npm:@poolcheck/poolcheck --adapter ./my_adapter.js --expectations expectations.json --rule LIM",
      "bun x --bun poolcheck --adapter ./my_adapter.js --expectations expectations.json --rule LIM",
    ]
  ) {
    test(
      `the replay line '${command}' prints runs again on its runtime and fails the same way`,
      LONG,
      async () => {
        const first = await sh(command, broken);
        assert.equal(first.code, 1, first.output.slice(-3000));
        const replay = /^\s*replay: (.*)$/m.exec(first.output)?.[1];
        assert.ok(replay, `no replay line in:\n${first.output.slice(-3000)}`);
        assert.ok(replay.startsWith(command.split(" --adapter")[0]), `replay line: ${replay}`);
        const steps = (output) => /counterexample \([\s\S]*?ledger around/.exec(output)?.[0];
        const again = await sh(replay, broken);
        assert.equal(again.code, 1, again.output.slice(-3000));
        assert.match(again.output, /FAIL {2}LIM-1/);
        assert.equal(steps(again.output), steps(first.output));
      },
    );
  }

  for (const command of readme.commands.filter((c) => !isInstall(c))) {
    test(`'${command}' fails and names LIM-1`, LONG, async () => {
      const { code, output } = await sh(command, broken);
      assert.notEqual(code, 0, `'${command}' passed on the broken pool:\n${output.slice(-3000)}`);
      assert.match(output, /LIM-1/, `'${command}' on the broken pool does not name LIM-1`);
    });
  }
});
