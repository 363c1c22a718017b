// Offline validation of kustomizations: renders each one with `kubectl kustomize`, then checks
// every rendered object three ways, all from the pinned packages in package-lock.json:
//   1. schema: the validators that kubernetes-models (Kubernetes OpenAPI) and
//      @kubernetes-models/keda (KEDA CRDs) ship: types, required fields, enums, formats;
//   2. strict: unknown fields (a typo such as readOnlyRootFileSystem), which those JSON schemas
//      allow: each object is type-checked with TypeScript against the packages' declarations,
//      whose object-literal check rejects every property the type does not have;
//   3. llmq's own rules (rules() below): no Secret rendered, secrets by reference only, the
//      container security context, probes and /q/* on the management port only.
// An object whose apiVersion/kind has no schema here is an error, never skipped.
//
//   node validate.mjs DIR... [--expect-fail TEXT DIR]...
// Each DIR must pass; each DIR after --expect-fail TEXT must fail with TEXT in its errors.
//
// KUBECTL names the kubectl binary (default: kubectl on the PATH).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
const kubectl = process.env.KUBECTL || "kubectl";

function render(dir) {
  const out = execFileSync(kubectl, ["kustomize", dir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const objects = [];
  for (const doc of parseAllDocuments(out)) {
    if (doc.errors.length) throw new Error(`${dir}: unreadable YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj) objects.push(obj);
  }
  return objects;
}

// apiVersion + kind -> module path (relative to node_modules) of the model class and its types.
function modulePath(apiVersion, kind) {
  if (!/^[A-Za-z]+$/.test(kind ?? "")) return null;
  const [group, version] = apiVersion?.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (!version || !/^[a-z0-9.]*$/.test(group) || !/^v[0-9a-z]+$/.test(version)) return null;
  if (group === "keda.sh") return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

const name = (o) => `${o.kind}/${o.metadata?.namespace ?? "-"}/${o.metadata?.name ?? "?"}`;

// Returns the errors, and the objects that have a schema (the only ones the strict check can type).
async function schemaErrors(objects) {
  const errors = [];
  const typed = [];
  for (const o of objects) {
    const path = modulePath(o.apiVersion, o.kind);
    let Model;
    try {
      Model = path && (await import(path))[o.kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      errors.push(`${name(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    typed.push(o);
    try {
      new Model(o).validate();
    } catch (e) {
      errors.push(`${name(o)}: schema: ${e.message}`);
    }
  }
  return { errors, typed };
}

// Type-checks `const oN: I<Kind> = <object>;`, one object per line, and maps errors back.
function strictErrors(known) {
  if (!known.length) return [];
  const dir = mkdtempSync(join(here, ".strict-"));
  try {
    const lines = [];
    known.forEach((o, i) => {
      lines.push(`import type { I${o.kind} as T${i} } from "${modulePath(o.apiVersion, o.kind)}";`);
    });
    const first = lines.length;
    known.forEach((o, i) => lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`));
    const file = join(dir, "objects.ts");
    writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      if (!d.file || d.file.fileName !== file) return `strict: ${text}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      const o = known[line - first];
      if (!o) return `strict: ${text}`;
      // Name the field by the JSON text around the error.
      const at = lines[line].slice(Math.max(0, character - 40), character + 40);
      return `${name(o)}: strict: ${text} (near …${at}…)`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SECRET_NAME = /(KEY|TOKEN|PASSWORD|SECRET|CREDENTIAL)/i;

function rules(objects) {
  const errors = [];
  for (const o of objects) {
    const n = name(o);
    if (o.kind === "Secret") errors.push(`${n}: rule: Secrets are referenced, never rendered`);
    if (o.kind === "Service" && !/-management$/.test(o.metadata?.name ?? "")) {
      for (const p of o.spec?.ports ?? []) {
        if (p.port === 9000 || p.targetPort === 9000 || p.targetPort === "management") {
          errors.push(`${n}: rule: the management port is only on a *-management Service`);
        }
      }
    }
    if (o.kind !== "Deployment") continue;
    const pod = o.spec?.template?.spec ?? {};
    const podSc = pod.securityContext ?? {};
    const tmp = (pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name);
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const cn = `${n} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) errors.push(`${cn}: rule: readOnlyRootFilesystem must be true`);
      if (sc.allowPrivilegeEscalation !== false) errors.push(`${cn}: rule: allowPrivilegeEscalation must be false`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) errors.push(`${cn}: rule: capabilities must drop ALL`);
      if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) errors.push(`${cn}: rule: runAsNonRoot must be true`);
      if ((sc.seccompProfile ?? podSc.seccompProfile)?.type !== "RuntimeDefault") {
        errors.push(`${cn}: rule: seccompProfile must be RuntimeDefault`);
      }
      if (!(c.volumeMounts ?? []).some((m) => m.mountPath === "/tmp" && tmp.includes(m.name))) {
        errors.push(`${cn}: rule: /tmp must be an emptyDir (the root filesystem is read-only)`);
      }
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const port = c[probe]?.httpGet?.port;
        if (port !== "management" && port !== 9000) {
          errors.push(`${cn}: rule: ${probe} must be an HTTP probe on the management port`);
        }
      }
      for (const e of c.env ?? []) {
        if (SECRET_NAME.test(e.name) && e.value !== undefined) {
          errors.push(`${cn}: rule: ${e.name} has a literal value; take it from a Secret`);
        }
      }
      for (const p of c.ports ?? []) {
        if (p.name === "management" && p.containerPort !== 9000) {
          errors.push(`${cn}: rule: the management port is 9000`);
        }
      }
    }
  }
  return errors;
}

async function check(dir) {
  let objects;
  try {
    objects = render(dir);
  } catch (e) {
    return { objects: [], errors: [`${dir}: kubectl kustomize failed: ${(e.stderr || e.message).toString().trim()}`] };
  }
  if (!objects.length) return { objects, errors: [`${dir}: rendered no object`] };
  const schema = await schemaErrors(objects);
  const errors = [...schema.errors, ...strictErrors(schema.typed), ...rules(objects)];
  return { objects, errors };
}

// Arguments: DIR (must pass) and --expect-fail TEXT DIR (must fail, with TEXT in the errors).
const args = process.argv.slice(2);
const jobs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--expect-fail") {
    if (i + 2 >= args.length) {
      console.error("usage: validate.mjs [DIR | --expect-fail TEXT DIR]...");
      process.exit(2);
    }
    jobs.push({ expected: args[i + 1], dir: args[i + 2] });
    i += 2;
  } else {
    jobs.push({ dir: args[i] });
  }
}
if (!jobs.length) {
  console.error("usage: validate.mjs [DIR | --expect-fail TEXT DIR]...");
  process.exit(2);
}
let failed = 0;
for (const { dir, expected } of jobs) {
  const { objects, errors } = await check(dir);
  if (expected === undefined) {
    if (errors.length) {
      failed++;
      console.error(`k8s: FAIL ${dir}:\n  ${errors.join("\n  ")}`);
    } else {
      const kinds = [...new Set(objects.map((o) => o.kind))].join(", ");
      console.log(`k8s: ok ${dir}: ${objects.length} objects valid (${kinds})`);
    }
  } else if (!errors.length) {
    failed++;
    console.error(`k8s: FAIL ${dir} was accepted, but it is broken on purpose (${expected})`);
  } else if (!errors.some((e) => e.includes(expected))) {
    failed++;
    console.error(`k8s: FAIL ${dir} was refused, but not for "${expected}":\n  ${errors.join("\n  ")}`);
  } else {
    console.log(`k8s: ok ${dir} (broken on purpose) refused:\n  ${errors.join("\n  ")}`);
  }
}
process.exit(failed ? 1 : 0);
