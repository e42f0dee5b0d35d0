// The one base class for failures a person can act on: a refused setting, a missing file, a server that
// said no. The CLIs' runCli (scripts/lib/cli/run-cli.ts) prints such an error's message, never a stack
// trace, and exits with its exitCode; any other error is a bug and keeps its stack. Each error class of
// the project extends this, so no CLI can forget to list one (tests/project/layout.test.ts holds it).
export abstract class ExpectedFailure extends Error {
  /** The process's exit code: 1 for a step that failed; UsageError, bad input, says 2. */
  readonly exitCode: number = 1;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
