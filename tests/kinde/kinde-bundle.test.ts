// Kinde bundles each workflow with esbuild into one CommonJS script and runs it in its goja runtime
// (kinde-oss/workflows-runtime), executing the top level to read `workflowSettings`. This bundles the
// workflows the same way and evaluates them in a bare V8 context — no require, process, Buffer or
// fetch — so a workflow that reached for Node APIs or did work at load time fails here.
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "cjs",
    platform: "neutral",
    target: "es2019",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/** Runs a bundle with nothing but `module`/`exports` and a counter of anything it touches on `kinde`. */
function load(code: string): { exports: Record<string, unknown>; kindeTouched: string[] } {
  const touched: string[] = [];
  const kinde = new Proxy(
    {},
    {
      get: (_t, key) => {
        touched.push(String(key));
        return undefined;
      },
    },
  );
  const module = { exports: {} as Record<string, unknown> };
  runInNewContext(code, { module, exports: module.exports, kinde }, { timeout: 1000 });
  return { exports: module.exports, kindeTouched: touched };
}

describe("Kinde workflows as Kinde bundles them", () => {
  it.each([
    ["hasuraUserClaims", "user:tokens_generation"],
    ["hasuraM2MClaims", "m2m:token_generation"],
  ])("%s bundles without Node APIs and only declares values at load", async (name, trigger) => {
    const code = await bundle(`kindeSrc/environment/workflows/${name}/Workflow.ts`);
    expect(code).not.toMatch(/require\(["'](node:|fs|path|crypto|http)/);
    const { exports, kindeTouched } = load(code);
    expect((exports.workflowSettings as { id: string; trigger: string }).id).toBe(name);
    expect((exports.workflowSettings as { trigger: string }).trigger).toBe(trigger);
    expect(typeof exports.default).toBe("function");
    expect(kindeTouched).toEqual([]);
  });
});
